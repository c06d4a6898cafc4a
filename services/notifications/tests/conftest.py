import pytest

from notifications.effects import session_close
from tests.mailserver import scripted_smtp_server


@pytest.fixture(scope="session")
def _smtp():
    with scripted_smtp_server() as server:
        yield server


@pytest.fixture
def smtp(_smtp, settings):
    """Send this test's email through Django's SMTP backend to a real local server; return its handler."""
    port, handler = _smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    handler.reset()
    session_close()  # a session kept from an earlier test would not count as this test's
    yield handler
    session_close()


@pytest.fixture
def mailbox(smtp):
    """The messages the server accepted during this test."""
    return smtp.messages
