"""Fixtures of the notification tests: a live SMTP server the app sends to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.notify.smtp_server import SmtpServer


@pytest.fixture()
def smtp(app) -> Iterator[SmtpServer]:
    """A live SMTP server, and the app pointed at it for the test."""
    from cityreport.notifications.mail import close_transports

    server = SmtpServer()
    server.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    close_transports()
    try:
        yield server
    finally:
        close_transports()
        app.config.update(saved)
        server.stop()
