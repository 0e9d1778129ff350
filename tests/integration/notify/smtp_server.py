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
    """Collects accepted messages; `refuse` makes DATA answer 451 (try again later).

    `hold` (a threading.Event) keeps DATA from answering until it is set, so a test can act while a
    client waits for the reply; `accept_held` says whether such a held message counts as delivered.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrivals: list[float] = []  # time.perf_counter() of each accepted message
        self.refuse = False
        self.refused = 0
        self.hold: threading.Event | None = None
        self.accept_held = True
        self.in_data = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        self.in_data.set()
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        hold, accept = self.hold, self.accept_held
        if hold is None or accept:
            self._store(envelope.content)
        if hold is not None:
            hold.wait(60)  # blocks this server's loop on purpose: the client waits for our reply
            if not accept:
                return "451 4.3.0 Not accepted"
        return "250 OK"

    def _store(self, content: bytes) -> None:
        message = email.message_from_bytes(content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self.arrivals.append(time.perf_counter())

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
