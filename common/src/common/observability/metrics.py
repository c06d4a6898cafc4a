"""The event side's Prometheus metrics, and the functions the event core and services call.

A service's `/metrics` covers its gunicorn workers, its consumer and its relay together:
every process of a service writes its samples to files in one shared folder
(prometheus_client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`, set per service by
`manage_all.py up`), and the scraped web worker adds them up. State that lives in the
database or the broker (outbox backlog, consumer lag) is computed when scraped instead
(common.observability.collectors). Without `PROMETHEUS_MULTIPROC_DIR` (tests, one process)
the samples stay in the process's own registry.

Every function here is a few dictionary look-ups and an addition: cheap enough for the
consumer's and relay's hot paths (see docs/OBSERVABILITY.md for the measurement).
"""

from datetime import datetime

from prometheus_client import Counter, Histogram

DLQ_SUFFIX = ".dlq"
OUTCOMES = ("handled", "duplicate", "dead_lettered")
# What the consumer retries a whole batch for (the exception's class name).
RETRY_REASONS = ("OperationalError", "InterfaceError", "RetryLater", "IntegrityError")

PUBLISHED = Counter(
    "commercex_events_published_total",
    "Events the relay sent to Kafka and the broker acknowledged, by topic (dead letters included).",
    ["topic"],
)
CONSUMED = Counter(
    "commercex_events_consumed_total",
    "Events the consumer finished with, by topic and outcome (handled, duplicate, dead_lettered).",
    ["topic", "outcome"],
)
DEAD_LETTERS = Counter(
    "commercex_dlq_messages_total",
    "Messages this service put on `<topic>.dlq` (acknowledged by the broker), by original topic.",
    ["topic"],
)
HANDLER_SECONDS = Histogram(
    "commercex_event_handler_duration_seconds",
    "Time a handler took per event, by event type.",
    ["event_type"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BATCH_SIZE = Histogram(
    "commercex_consumer_batch_size",
    "Messages per batch the consumer applied in one transaction.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
RELAY_SECONDS = Histogram(
    "commercex_relay_send_latency_seconds",
    "Time from handing a batch of outbox rows to the producer until the broker acknowledged it.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BATCH_RETRIES = Counter(
    "commercex_consumer_batch_retries_total",
    "Batches retried whole after a transient error (database down, RetryLater, ...), by reason.",
    ["reason"],
)
SAGA_SECONDS = Histogram(
    "commercex_saga_duration_seconds",
    "Orders service: time from order creation to its final state, by outcome (confirmed, cancelled).",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
EFFECTS = Counter(
    "commercex_effects_total",
    "Outside effects (mail, payment provider calls) by effect and outcome (done, retried, parked, failed).",
    ["effect", "outcome"],
)
PAYMENTS = Counter(
    "commercex_payments_total",
    "Payments service: charges and refunds by outcome (succeeded, declined, refunded, ...).",
    ["outcome"],
)
CACHE = Counter(
    "commercex_cache_requests_total",
    "Reads answered from the Redis cache (hit) or not (miss), from the responses' X-Cache header.",
    ["result"],
)


def prepare(consumed_topics: list[str]) -> None:
    """Create the zero series of the topics a service consumes, so that they are scraped
    (and graphed, and alerted on) before the first event of each outcome."""
    for topic in consumed_topics:
        for outcome in OUTCOMES:
            CONSUMED.labels(topic, outcome)
        DEAD_LETTERS.labels(topic)
    for reason in RETRY_REASONS:
        BATCH_RETRIES.labels(reason)


# ---- called by the event core (common.events.hooks) -------------------------------------


def events_published(topic: str, n: int = 1) -> None:
    """The relay's batch to `topic` was acknowledged: `n` messages."""
    PUBLISHED.labels(topic).inc(n)
    if topic.endswith(DLQ_SUFFIX):
        DEAD_LETTERS.labels(topic.removesuffix(DLQ_SUFFIX)).inc(n)


def events_consumed(topic: str, outcome: str, n: int = 1) -> None:
    """`n` events of `topic` were handled, skipped as duplicates, or dead-lettered."""
    CONSUMED.labels(topic, outcome).inc(n)


def handler_duration(event_type: str, seconds: float) -> None:
    HANDLER_SECONDS.labels(event_type).observe(seconds)


def batch_size(n) -> None:
    """A batch of `n` messages (or the messages themselves) was applied."""
    BATCH_SIZE.observe(n if isinstance(n, int | float) else len(n))


def relay_send_latency(seconds: float) -> None:
    RELAY_SECONDS.observe(seconds)


def batch_retry(reason: str) -> None:
    BATCH_RETRIES.labels(reason).inc()


# ---- called by services -----------------------------------------------------------------


def saga_finished(outcome: str, started_at: datetime, finished_at: datetime | None = None) -> None:
    """Orders: an order reached its final state (`confirmed` or `cancelled`).

    Call it inside the transaction that changes the status: it is observed once that
    transaction commits (a rolled-back change counts nothing).
    """
    from django.db import transaction
    from django.utils import timezone

    seconds = max(0.0, ((finished_at or timezone.now()) - started_at).total_seconds())
    transaction.on_commit(lambda: SAGA_SECONDS.labels(outcome.lower()).observe(seconds))


def effect_outcome(effect: str, outcome: str, n: int = 1) -> None:
    """An effect (e.g. `mail`, `charge`) carried out `n` rows with `outcome`."""
    EFFECTS.labels(effect, outcome).inc(n)


def payment_processed(outcome: str, n: int = 1) -> None:
    PAYMENTS.labels(outcome).inc(n)


def cache_lookup(hit: bool) -> None:
    CACHE.labels("hit" if hit else "miss").inc()
