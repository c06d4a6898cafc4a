"""/metrics, the event-side metric functions and the trace context while tracing is off."""

import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pythonjsonlogger.json import JsonFormatter

from common.observability import metrics, tracing
from http_fixtures import use_own_cache_prefix

pytestmark = pytest.mark.urls("http_urls")

ECHO = "/api/testsvc/echo/"
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{CALLER_TRACE}-{CALLER_PARENT}-01"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_show_http_requests_and_the_outbox_backlog(client):
    client.get(ECHO)

    samples = scrape(client)

    names = {name for name, _ in samples}
    assert "django_http_responses_total_by_status_total" in names
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in names
    assert value(samples, "commercex_outbox_pending") == 0
    # testsvc consumes widget-counted: its zero series are there before the first event.
    assert (
        "commercex_events_consumed_total",
        (("outcome", "dead_lettered"), ("topic", "widget-counted")),
    ) in samples


@pytest.mark.django_db
def test_the_outbox_backlog_counts_unsent_events(client):
    from common.events.models import OutboxEvent

    OutboxEvent.objects.create(event_type="widget-counted", topic="widget-counted", key="k", payload={})

    assert value(scrape(client), "commercex_outbox_pending") == 1


@pytest.mark.django_db
def test_metrics_answer_only_get(client):
    response = client.post("/metrics")

    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.django_db
def test_event_counters_add_up_and_dead_letters_count_by_original_topic(client):
    before = scrape(client)

    metrics.events_published("widget-counted", 3)
    metrics.events_published("widget-counted.dlq", 1)
    metrics.events_consumed("widget-counted", "handled", 2)
    metrics.handler_duration("widget-counted", 0.004)

    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("commercex_events_published_total", topic="widget-counted") == 3
    assert grew("commercex_dlq_messages_total", topic="widget-counted") == 1
    assert grew("commercex_events_consumed_total", topic="widget-counted", outcome="handled") == 2
    assert grew("commercex_event_handler_duration_seconds_count", event_type="widget-counted") == 1


@pytest.mark.django_db(transaction=True)
def test_the_saga_duration_is_observed_only_when_its_transaction_commits(client):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    before = scrape(client)
    started = timezone.now() - timedelta(seconds=1.5)
    with transaction.atomic():
        metrics.saga_finished("CONFIRMED", started)
    try:
        with transaction.atomic():
            metrics.saga_finished("cancelled", started)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("commercex_saga_duration_seconds_count", outcome="confirmed") == 1
    assert grew("commercex_saga_duration_seconds_bucket", outcome="confirmed", le="1.0") == 0
    assert grew("commercex_saga_duration_seconds_bucket", outcome="confirmed", le="2.0") == 1
    assert grew("commercex_saga_duration_seconds_count", outcome="cancelled") == 0


def test_an_event_continues_the_trace_of_its_traceparent_header():
    with tracing.consume_span("widget-counted", {"traceparent": TRACEPARENT}):
        headers = tracing.outgoing_trace_headers()
        ids = tracing.current_ids()

    trace_id, span_id, flags = tracing.parse_traceparent(headers["traceparent"])
    assert (trace_id, flags) == (CALLER_TRACE, "01")
    assert span_id != CALLER_PARENT
    assert ids == (trace_id, span_id)
    assert tracing.current_ids() is None


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "garbage",
        f"00-{'0' * 32}-{CALLER_PARENT}-01",
        f"00-{CALLER_TRACE}-{'0' * 16}-01",
        f"ff-{CALLER_TRACE}-{CALLER_PARENT}-01",
    ],
)
def test_an_event_without_a_valid_traceparent_starts_a_trace(bad):
    with tracing.consume_span("widget-counted", {"traceparent": bad} if bad is not None else {}):
        headers = tracing.outgoing_trace_headers()

    trace_id, _, _ = tracing.parse_traceparent(headers["traceparent"])
    assert trace_id not in (CALLER_TRACE, "0" * 32)


def test_an_event_published_outside_any_trace_starts_one():
    first, second = tracing.outgoing_trace_headers(), tracing.outgoing_trace_headers()

    assert tracing.parse_traceparent(first["traceparent"])
    assert first["traceparent"][3:35] != second["traceparent"][3:35]


@pytest.fixture
def json_log():
    configured = next(
        handler for handler in logging.getLogger().handlers if isinstance(handler.formatter, JsonFormatter)
    )
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(configured.formatter)
    for log_filter in configured.filters:
        capture.addFilter(log_filter)
    root = logging.getLogger()
    root.addHandler(capture)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(capture)


def test_a_request_continues_the_callers_trace_and_its_log_lines_carry_the_ids(client, json_log):
    client.get(ECHO, HTTP_TRACEPARENT=TRACEPARENT)

    access = [line for line in json_log() if line.get("logger") == "common.access"]

    assert len(access) == 1
    assert access[0]["trace_id"] == CALLER_TRACE
    assert len(access[0]["span_id"]) == 16
    assert access[0]["span_id"] != CALLER_PARENT


def test_a_request_without_traceparent_gets_a_trace_of_its_own(client, json_log):
    client.get(ECHO)
    client.get(ECHO)

    traces = [line["trace_id"] for line in json_log() if line.get("logger") == "common.access"]

    assert len(traces) == 2
    assert traces[0] != traces[1]
    assert all(len(trace) == 32 for trace in traces)


def test_log_lines_outside_a_trace_have_no_trace_ids(json_log):
    logging.getLogger("common.test").warning("outside")

    line = next(line for line in json_log() if line.get("message") == "outside")
    assert "trace_id" not in line


@pytest.mark.django_db
def test_a_scrape_by_pod_address_is_answered_whatever_allowed_hosts_says(client, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]

    assert client.get("/metrics", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get(ECHO, HTTP_HOST="10.1.2.3:8000").status_code == 400
