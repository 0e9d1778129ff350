"""What the service areas' administration accepts (core/inputs.py): a GeoJSON upload and where it goes."""

from __future__ import annotations

from cityreport.core.inputs import Ident, Input, Integer, Text


class AreaUploadForm(Input):
    """The file itself comes beside the form (request.files["file"])."""

    malformed_status = 422

    department: Ident | None = None  # required; named with the file's problems by the service
    category: Ident | None = None
    priority: Integer(-1000, 1000) = 0
    name_property: Text(100) = "name"
