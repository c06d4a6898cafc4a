"""A real SMTP server for the delivery tests (aiosmtpd, on a socket), scripted per mailbox.

`refuse` mailboxes get a 550 at RCPT for good; `defer` mailboxes a 421 at RCPT (and the
connection is dropped, as smtplib does after a 421) until `defer` is emptied. Every accepted
message, every RCPT attempt and every session (EHLO) is recorded, to count repeats.
"""

import socket
import threading
from collections import Counter
from contextlib import contextmanager
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class ScriptedHandler:
    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.messages: list[EmailMessage] = []
        self.rcpt_attempts: Counter = Counter()
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts[address] += 1
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if address in self.defer:
            return "421 4.3.2 Service not available, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def received(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Envelope-To"] == address]

    def reset(self) -> None:
        self.refuse.clear()
        self.defer.clear()
        self.messages.clear()
        self.rcpt_attempts.clear()
        self.sessions = 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def scripted_smtp_server():
    """Yield (port, handler) of a real SMTP server running in this process."""
    handler = ScriptedHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


@contextmanager
def silent_server():
    """A TCP server that accepts connections and never says a word (an SMTP timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
