"""Kafka client settings from the environment, with a Tansu (local/test) and a Kafka profile.

`COMMERCEX_KAFKA_PROFILE=tansu|kafka` picks the defaults (tansu unless DJANGO_ENV is
production); `KAFKA_CLIENT_CONFIG`, `KAFKA_PRODUCER_CONFIG` and `KAFKA_CONSUMER_CONFIG`
(comma-separated `property=value` lists, librdkafka names) override any of them, e.g.
`KAFKA_CONSUMER_CONFIG=session.timeout.ms=10000`. Values are read on every call, so a
test can change the environment between clients.
"""

import os

from django.conf import settings

from common.settings.env import env_float, env_int, env_str, is_production

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
DLQ_SUFFIX = ".dlq"

# Tansu (see /work/shared/TANSU.md): a group join waits half the session timeout, so keep
# it short; `latest` is broken there; an idempotent producer must fail fast enough for the
# relay to notice a restart and recreate it.
_PROFILES = {
    "tansu": {
        "producer": {"linger.ms": 2, "message.timeout.ms": 10000, "retry.backoff.ms": 100},
        # Tansu answers a fetch only when fetch.wait.max.ms expires: 50 ms per hop, not 500.
        # A restart loses the topics: notice them again within 2 s of their re-creation.
        "consumer": {
            "session.timeout.ms": 2000,
            "heartbeat.interval.ms": 400,
            "fetch.wait.max.ms": 50,
            "topic.metadata.refresh.interval.ms": 2000,
        },
    },
    "kafka": {
        "producer": {"linger.ms": 5, "message.timeout.ms": 120000, "compression.type": "lz4"},
        "consumer": {"session.timeout.ms": 45000, "heartbeat.interval.ms": 3000},
    },
}


def profile() -> str:
    name = env_str("COMMERCEX_KAFKA_PROFILE", "kafka" if is_production() else "tansu").lower()
    if name not in _PROFILES:
        raise ValueError(f"COMMERCEX_KAFKA_PROFILE must be one of {sorted(_PROFILES)}, not {name!r}")
    return name


def _overrides(name: str) -> dict:
    """Parse `prop=value,prop=value` from the environment variable `name`."""
    result = {}
    for item in os.environ.get(name, "").split(","):
        if item.strip():
            prop, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"{name}: expected property=value, got {item!r}")
            result[prop.strip()] = value.strip()
    return result


def service_name() -> str:
    return getattr(settings, "SERVICE_NAME", "") or "commercex"


def bootstrap_servers() -> str:
    return env_str("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP)


def client_config(role: str) -> dict:
    """Settings every client shares: bootstrap servers, client id, security overrides."""
    return {
        "bootstrap.servers": bootstrap_servers(),
        "client.id": f"{service_name()}-{role}",
        **_overrides("KAFKA_CLIENT_CONFIG"),
    }


def producer_config(role: str = "relay") -> dict:
    """Idempotent producer: acks from all in-sync replicas, in order per partition, no duplicates."""
    return {
        **client_config(role),
        "enable.idempotence": True,
        "acks": "all",
        "max.in.flight.requests.per.connection": 5,
        **_PROFILES[profile()]["producer"],
        **_overrides("KAFKA_PRODUCER_CONFIG"),
    }


def consumer_config(group_id: str, role: str = "consumer") -> dict:
    """Manual offset commits only, after the database transaction: at-least-once + inbox."""
    return {
        **client_config(role),
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        **_PROFILES[profile()]["consumer"],
        **_overrides("KAFKA_CONSUMER_CONFIG"),
    }


def admin_config() -> dict:
    return client_config("admin")


def topic_prefix() -> str:
    return env_str("KAFKA_TOPIC_PREFIX", "")


def topic_for(event_type: str, prefix: str | None = None) -> str:
    """Return the Kafka topic of `event_type`: KAFKA_TOPIC_PREFIX + the type."""
    return f"{topic_prefix() if prefix is None else prefix}{event_type}"


def dlq_topic_for(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def group_id() -> str:
    return env_str("KAFKA_GROUP_ID", f"{service_name()}-service")


def topic_partitions() -> int:
    """Partitions of a new topic: 6 on Kafka; 2 on the local broker, where every partition a
    consumer fetches costs the idle broker CPU (Tansu answers each fetch after its wait)."""
    return env_int("KAFKA_TOPIC_PARTITIONS", 2 if profile() == "tansu" else 6)


def replication_factor() -> int:
    return env_int("KAFKA_REPLICATION_FACTOR", 1)


def max_attempts() -> int:
    """How often a failing handler runs before its message is dead-lettered."""
    return max(1, env_int("EVENTS_MAX_ATTEMPTS", 3))


def consumer_batch_size() -> int:
    return max(1, env_int("EVENTS_CONSUMER_BATCH", 200))


def relay_batch_size() -> int:
    return max(1, env_int("EVENTS_RELAY_BATCH", 500))


def relay_poll_seconds(*, listening: bool) -> float:
    """Wait between outbox polls: a fallback when LISTEN/NOTIFY wakes the relay, else the pace."""
    return env_float("EVENTS_RELAY_POLL_SECONDS", 0.5 if listening else 0.05)


def relay_idle_poll_seconds() -> float:
    """Without LISTEN/NOTIFY (SQLite), the longest pause an idle relay's polls grow to."""
    return env_float("EVENTS_RELAY_IDLE_POLL_SECONDS", 0.25)


def relay_broker_check_seconds() -> float:
    return env_float("EVENTS_RELAY_BROKER_CHECK_SECONDS", 2.0)


def outbox_retention_hours() -> float:
    return env_float("EVENTS_OUTBOX_RETENTION_HOURS", 72.0)


def inbox_retention_hours() -> float:
    """Inbox rows live at least a day longer than outbox rows (see common.events.inbox)."""
    return max(env_float("EVENTS_INBOX_RETENTION_HOURS", 168.0), outbox_retention_hours() + 24.0)


def doze_after_seconds() -> float:
    """Idle this long, a consumer of the local broker dozes (0: never); see consumer.Doze.

    A minute: the first order after a doze takes ~1 s longer to confirm (measured on `up`:
    0.8 s awake, 2.0 s dozing), so someone using the system never meets it."""
    return env_float("EVENTS_CONSUMER_DOZE_AFTER_SECONDS", 60.0 if profile() == "tansu" else 0.0)


def doze_seconds() -> float:
    """How long a dozing consumer's partitions stay paused between two looks at the broker.

    Short enough that a hop after a quiet spell stays well inside the contract's 1 s (a new
    product's stock in inventory, stock mirrored back): pause + fetch + the SQLite relay's
    idle poll (0.25 s) ≈ 0.6 s at worst."""
    return env_float("EVENTS_CONSUMER_DOZE_SECONDS", 0.25)


def idle_poll_seconds() -> float:
    """How long the consumer blocks on the broker when nothing arrives (an idle loop's pace)."""
    return env_float("EVENTS_CONSUMER_POLL_SECONDS", 1.0)
