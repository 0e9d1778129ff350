"""A real SMTP server on loopback (aiosmtpd) for the notification tests; it can be told to refuse."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Collects accepted messages; `refuse` makes DATA answer 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.refused = 0
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self.delay:
            time.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
