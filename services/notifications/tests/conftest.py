import pytest

from common.testing import smtp_server


@pytest.fixture(scope="session")
def _smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailbox(_smtp, settings):
    """Send this test's email through Django's SMTP backend to a real local server; return its inbox."""
    port, messages = _smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    messages.clear()
    return messages
