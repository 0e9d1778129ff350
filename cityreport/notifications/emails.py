"""Writing an e-mail into the outbox: one recipient, one template, rendered when it is sent (messages.py).

The template is named by ``rules.Template``: a name no template has fails here, in the request or job that
writes the row, never later in the sender (docs/architecture.md, "The outbox").
"""

from __future__ import annotations

from typing import Any

from cityreport.core.outbox import add_outbox
from cityreport.notifications.rules import Template


def add_email(template: Template, idempotency_key: str, *, enqueue: bool = True, **context: Any) -> int | None:
    """One e-mail to one recipient (a subscription or a department), rendered when it is sent.

    Raises ValueError at once for a name that is no template.
    """
    return add_outbox("email", {"template": Template(template).value, **context}, idempotency_key, enqueue=enqueue)
