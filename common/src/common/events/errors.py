"""Exceptions a handler may raise to steer the consumer."""


class RetryLater(Exception):
    """A dependency of the handler is unavailable (SMTP, another service): retry, never dead-letter.

    The consumer rolls the batch back and tries it again with backoff, as for a database
    outage, for as long as it takes; the partition waits meanwhile. For an error in the
    event itself, raise anything else: after EVENTS_MAX_ATTEMPTS it goes to `<topic>.dlq`.
    """
