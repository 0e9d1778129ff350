"""What the staff pages of every package share: the administration page frame, and the answer to a
refused form (for ``core.transaction.commits``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request

from cityreport.errors import AppError, ValidationError
from cityreport.i18n import current_language

# Form fields never echoed back into a page that shows a refused form.
SECRET_FIELDS = ("password",)


def admin_page(template: str, status_code: int = 200, **context: Any) -> tuple[str, int]:
    """An administration page (templates/staff/admin/): the frame, the nav, and room for a refused form."""
    context.setdefault("error", None)
    context.setdefault("fields", {})
    context.setdefault("form", {})
    return render_template(f"staff/admin/{template}", lang=current_language(), **context), status_code


def refused_form(page: Callable[..., Any]) -> Callable[..., Any]:
    """A ``refused=`` handler: ``page(status, error=..., fields=..., form=...)`` again, with the problems named
    and the form as it was typed; other refusals (403, 404, 409) go to the app's error handler."""
    def answer(exc: AppError, *_args: Any, **_kwargs: Any) -> Any:
        if not isinstance(exc, ValidationError):
            raise exc
        form = {key: value for key, value in request.form.to_dict().items() if key not in SECRET_FIELDS}
        return page(exc.status, error=exc.message, fields=exc.fields, form=form)
    return answer
