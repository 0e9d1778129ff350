"""Putting a message on the wire: SMTP (smtplib) or, in development without a server, `.eml` files.

One SMTP connection is kept per process and reused while it answers NOOP, so a worker sending a
burst does not pay a TCP and EHLO round trip per message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 20
# A connection idle longer than this is checked with NOOP before use; servers drop idle clients.
IDLE_CHECK_SECONDS = 5.0


def is_permanent(code: int | None) -> bool:
    """5xx replies mean the server will never take this message; 4xx and network errors may pass later."""
    return code is not None and 500 <= code < 600


class MailError(Exception):
    """Sending failed. ``permanent`` means retrying the same message cannot help."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.code = code
        self.permanent = permanent


def build_message(*, to: str, subject: str, text: str, html: str, message_id: str | None = None,
                  unsubscribe_url: str | None = None, sender: str | None = None) -> EmailMessage:
    sender = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    domain = (parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    msg["Message-ID"] = f"<{message_id}@{domain}>" if message_id else make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 2369 + RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class SmtpTransport:
    def __init__(self, host: str, port: int, *, use_tls: bool, username: str | None, password: str | None):
        self.key = (host, port, use_tls, username)
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password = username, password
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._pid = os.getpid()

    def _connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
        conn.ehlo()
        if self.use_tls:
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if self.username:
            conn.login(self.username, self.password or "")
        return conn

    def open(self) -> None:
        """Have a working connection, so that failures to connect happen before a row is marked sent."""
        try:
            if self._conn is not None and self._pid != os.getpid():
                self._conn = None  # inherited through fork(): the parent owns that socket
            if self._conn is not None and time.monotonic() - self._last_used > IDLE_CHECK_SECONDS:
                try:
                    if self._conn.noop()[0] != 250:
                        raise smtplib.SMTPServerDisconnected("NOOP refused")
                except (smtplib.SMTPException, OSError):
                    self._drop()
            if self._conn is None:
                self._conn = self._connect()
                self._pid = os.getpid()
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise MailError(f"SMTP authentication failed: {exc.smtp_code}", code=exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise MailError(f"cannot reach the SMTP server {self.host}:{self.port}: {exc}") from exc

    def send(self, msg: EmailMessage) -> None:
        """Hand ``msg`` over; returns once the server has accepted it (250 after DATA)."""
        self.open()
        assert self._conn is not None
        try:
            refused = self._conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            code = codes[0] if codes else None
            self._reset()
            raise MailError(f"recipient refused: {exc.recipients}", code=code,
                            permanent=all(is_permanent(c) for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", code=exc.smtp_code,
                            permanent=is_permanent(exc.smtp_code)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise MailError(f"SMTP connection failed: {exc}") from exc
        if refused:
            raise MailError(f"recipient refused: {refused}", permanent=True)
        self._last_used = time.monotonic()

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
        self._drop()


class FileTransport:
    """Development without an SMTP server: every message becomes a file, listed at /dev/mail."""

    def __init__(self, directory: Path):
        self.directory = directory

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, msg: EmailMessage) -> None:
        self.open()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        ident = (msg["Message-ID"] or make_msgid()).strip("<>").split("@")[0]
        name = f"{stamp}-{ident}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(bytes(msg))
        tmp.replace(self.directory / name)

    def close(self) -> None:
        pass


_transports: dict[tuple, SmtpTransport] = {}


def mail_directory() -> Path:
    return Path(current_app.instance_path) / "mail"


def get_transport() -> SmtpTransport | FileTransport:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        if config["ENV_NAME"] == "production":
            raise MailError("MAIL_SERVER is not configured")
        return FileTransport(mail_directory())
    key = (config["MAIL_SERVER"], int(config["MAIL_PORT"]), bool(config["MAIL_USE_TLS"]), config["MAIL_USERNAME"])
    transport = _transports.get(key)
    if transport is None:
        transport = SmtpTransport(config["MAIL_SERVER"], int(config["MAIL_PORT"]), use_tls=bool(config["MAIL_USE_TLS"]),
                                  username=config["MAIL_USERNAME"], password=config["MAIL_PASSWORD"])
        _transports[key] = transport
    return transport


def close_transports() -> None:
    for transport in list(_transports.values()):
        transport.close()
    _transports.clear()
