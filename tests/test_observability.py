"""Observability on the running system (CONTRACT.md, "Observability"): /metrics on each
service's own port, a real Prometheus scraping them, the dashboard's and alerts' metrics in
a live scrape, and one order's trace through Kafka received over OTLP/HTTP."""

import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from events import EventLog
from prometheus_client.parser import text_string_to_metric_families
from system import existing_services, wait_until

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "commercex-dashboard.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
SAGA_TOPICS = [
    "order-created",
    "payment-completed",
    "inventory-updated",
    "order-confirmed",
    "notification-sent",
]
CONTRACT_METRICS = {
    "django_http_responses_total_by_status_total",
    "django_http_requests_latency_seconds_by_view_method",
    "commercex_outbox_pending",
}
CONSUMER_METRICS = {
    "commercex_events_consumed_total",
    "commercex_consumer_lag",
    "commercex_dlq_messages_total",
}
SPAN_KIND_SERVER, SPAN_KIND_CONSUMER = 2, 5


def scrape(port: int) -> set[str]:
    """Return the metric family and sample names of one service's /metrics."""
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    names = set()
    for family in text_string_to_metric_families(response.text):
        names.add(family.name)
        names |= {sample.name for sample in family.samples}
    return names


def sample_names(system) -> set[str]:
    names: set[str] = set()
    for port in system.state()["service_ports"].values():
        names |= scrape(port)
    return names


def finish_sagas(api, admin, new_customer, place_order, order_status, headers=None) -> tuple[dict, dict]:
    """One order CONFIRMED and one CANCELLED (declined), as a customer would place them."""
    response = api.post(
        "/api/products/",
        json={"name": f"obs {uuid.uuid4().hex[:8]}", "price": "5.00", "stock": 20},
        headers=admin["headers"],
    )
    assert response.status_code == 201, response.text
    product = response.json()
    wait_until(lambda: api.get(f"/api/inventory/{product['id']}/").status_code == 200, timeout=10)
    assert api.get(f"/api/products/{product['id']}/").status_code == 200  # a cache read
    customer = new_customer()
    confirmed = api.post(
        "/api/orders/",
        json={"items": [{"product": product["id"], "quantity": 1}]},
        headers={**customer["headers"], **(headers or {})},
    )
    declined = place_order(customer, [(product, 1)], payment_method="tok_chargeDeclined")
    assert confirmed.status_code == declined.status_code == 201
    return (
        order_status(customer, confirmed.json()["id"], "CONFIRMED"),
        order_status(customer, declined.json()["id"], "CANCELLED"),
    )


# ---- /metrics on each port --------------------------------------------------------------


def test_each_service_serves_its_metrics_on_its_own_port_and_the_gateway_does_not(
    system, api, admin, new_customer, place_order, order_status
):
    finish_sagas(api, admin, new_customer, place_order, order_status)
    ports = system.state()["service_ports"]
    assert set(ports) == set(existing_services())

    def missing() -> dict[str, list[str]]:
        gaps = {}
        for name, port in ports.items():
            wanted = CONTRACT_METRICS | (CONSUMER_METRICS if name != "users" else set())
            if name == "orders":
                wanted |= {"commercex_saga_duration_seconds", "commercex_events_published_total"}
            gaps[name] = sorted(wanted - set(scrape(port)))
        return {name: gap for name, gap in gaps.items() if gap}

    try:
        wait_until(lambda: not missing(), timeout=20, interval=1, message="every contract metric")
    except AssertionError:
        raise AssertionError(f"missing from /metrics: {missing()}") from None
    response = api.get("/metrics")
    assert response.status_code == 404
    assert "commercex_" not in response.text
    excerpt = httpx.get(f"http://127.0.0.1:{ports['orders']}/metrics", timeout=10).text.splitlines()
    print("\n".join(line for line in excerpt if line.startswith("commercex_") and "_bucket" not in line))


# ---- a real Prometheus ------------------------------------------------------------------


def prometheus(system) -> httpx.Client:
    url = system.state().get("prometheus_url")
    assert url, "`up` runs no Prometheus: install it (`manage_all.py up --observability`, or .ci/run)"
    return httpx.Client(base_url=url, timeout=10)


def query(client: httpx.Client, expression: str) -> list:
    response = client.get("/api/v1/query", params={"query": expression})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_prometheus_scrapes_every_service_and_sees_events_consumed_rise(
    system, api, admin, new_customer, place_order, order_status
):
    with prometheus(system) as client:

        def all_up():
            targets = client.get("/api/v1/targets").json()["data"]["activeTargets"]
            healthy = {t["labels"]["service"] for t in targets if t["health"] == "up"}
            return healthy == set(existing_services())

        wait_until(all_up, timeout=60, interval=1, message="every service's target up in Prometheus")

        def consumed() -> float:
            result = query(client, "sum(commercex_events_consumed_total)")
            return float(result[0]["value"][1]) if result else 0.0

        before = consumed()
        finish_sagas(api, admin, new_customer, place_order, order_status)
        wait_until(lambda: consumed() > before, timeout=30, interval=1, message="events consumed to rise")
        rules = client.get("/api/v1/rules").json()["data"]["groups"]
        loaded = {rule["name"] for group in rules for rule in group["rules"]}
        assert {"CommercexConsumerLagGrowing", "CommercexDeadLetters", "CommercexOutboxBacklog"} <= loaded


# ---- the dashboard and the alerts name real metrics -------------------------------------

_NAME = re.compile(r"\b((?:commercex|django)_[a-z0-9_]+)")


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    rules = yaml.safe_load(ALERTS.read_text())
    found += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    return found


def test_every_dashboard_and_alert_expression_names_metrics_of_a_live_scrape(
    system, api, admin, new_customer, place_order, order_status
):
    finish_sagas(api, admin, new_customer, place_order, order_status)
    exprs = expressions()
    assert len(exprs) >= 15

    def unknown() -> list[str]:
        live = sample_names(system)
        return sorted({name for expr in exprs for name in _NAME.findall(expr)} - live)

    try:  # series of the sagas just finished may take a moment (the consumers' batches)
        wait_until(lambda: not unknown(), timeout=20, interval=1, message="every metric named")
    except AssertionError:
        raise AssertionError(f"named by the dashboard or alerts, in no /metrics: {unknown()}") from None
    with prometheus(system) as client:
        for expr in exprs:
            query(client, expr)  # Prometheus parses (and evaluates) every one


# ---- one order's trace ------------------------------------------------------------------


@pytest.fixture(scope="module")
def saga_log(system):
    log = EventLog(system.kafka_bootstrap_servers, topics=SAGA_TOPICS)
    log.start()
    yield log
    log.stop()


def test_an_orders_trace_runs_through_kafka_to_every_service_of_its_saga(
    system, api, admin, new_customer, place_order, order_status, otlp, saga_log
):
    trace_id, caller_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    confirmed, _ = finish_sagas(
        api,
        admin,
        new_customer,
        place_order,
        order_status,
        headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
    )
    order_id = confirmed["id"]

    def saga_messages():
        with saga_log._lock:
            mine = [
                m
                for m in saga_log.messages
                if m.key == order_id or (m.payload or {}).get("orderId") == order_id
            ]
        topics = {m.topic for m in mine}
        return mine if set(SAGA_TOPICS[:4]) <= topics else None

    messages = wait_until(saga_messages, timeout=15, interval=0.2, message="the saga's messages")
    confirmations = {m.headers.get("ce_id") for m in messages if m.topic == "order-confirmed"}

    def mail_sent():  # notification-sent is keyed by user; it names the event that caused it
        with saga_log._lock:
            sent = [m for m in saga_log.messages if m.topic == "notification-sent"]
        return [m for m in sent if (m.payload or {}).get("sourceEventId") in confirmations]

    messages += wait_until(
        mail_sent, timeout=15, interval=0.2, message="the confirmation's notification-sent"
    )
    for message in messages:
        assert message.headers.get("traceparent", "")[3:35] == trace_id, (message.topic, message.headers)

    def spans():
        found = otlp.trace(trace_id)
        services = {span.service for span in found}
        consumers = {span.service for span in found if span.kind == SPAN_KIND_CONSUMER}
        wanted = {"orders", "payments", "inventory", "notifications"}
        return (
            found if wanted <= services and {"payments", "inventory", "notifications"} <= consumers else None
        )

    found = wait_until(
        spans, timeout=20, interval=0.5, message=f"spans of trace {trace_id} from four services"
    )
    by_id = {span.span_id: span for span in found}
    server = [s for s in found if s.service == "orders" and s.kind == SPAN_KIND_SERVER]
    assert any(s.parent_span_id == caller_span for s in server), "orders' request span continues the caller's"
    hops = [s for s in found if s.kind == SPAN_KIND_CONSUMER]
    assert hops
    for span in hops:  # every event handled is a child of a span of the service that published it
        parent = by_id.get(span.parent_span_id)
        assert parent is not None, (
            f"{span.service} {span.name}: parent {span.parent_span_id} not in the trace"
        )
        assert parent.service != span.service, f"{span.name}: parent in the same service"
    print("\n".join(render(found, caller_span)))


def render(spans, root_parent: str) -> list[str]:
    """The trace as an indented tree (printed for the closing note; -s shows it)."""
    children: dict[str, list] = {}
    for span in spans:
        children.setdefault(span.parent_span_id, []).append(span)
    lines = []

    def walk(parent: str, depth: int) -> None:
        for span in children.get(parent, []):
            lines.append(f"{'  ' * depth}{span.service}: {span.name}")
            walk(span.span_id, depth + 1)

    walk(root_parent, 0)
    return lines


def lag(port: int, topic: str) -> float | None:
    """The scraped lag of `topic`; None while the scrape leaves it out (the broker just failed)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "commercex_consumer_lag":
            return sum(s.value for s in family.samples if s.labels.get("topic") == topic)
    return None


@pytest.mark.disruptive
def test_consumer_lag_counts_what_a_stopped_consumer_has_not_read(
    system, api, admin, new_customer, place_order
):
    port = system.state()["service_ports"]["payments"]
    consumer = next(
        name
        for name in system.children()
        if name.startswith("payments-") and name != "payments-web" and name != "payments-relay"
    )
    product = api.post(
        "/api/products/",
        json={"name": f"lag {uuid.uuid4().hex[:8]}", "price": "3.00", "stock": 10},
        headers=admin["headers"],
    ).json()
    wait_until(lambda: api.get(f"/api/inventory/{product['id']}/").status_code == 200, timeout=10)
    system.ctl("stop", consumer)
    try:
        # Earlier drills (a broker restart re-sends every retained event) may leave some lag
        # still draining: count from what the stopped consumer has left.
        time.sleep(1.5)  # past the scrape cache
        readings = []
        wait_until(
            lambda: readings.append(lag(port, "order-created")) or readings[-1] is not None,
            timeout=45,
            interval=0.5,
            message="the lag",
        )
        before = readings[-1]
        customer = new_customer()
        for _ in range(3):
            assert place_order(customer, [(product, 1)]).status_code == 201
        wait_until(
            lambda: (lag(port, "order-created") or 0) >= before + 1,
            timeout=20,
            interval=0.5,
            message=f"lag to grow from {before}",
        )
    finally:
        system.ctl("start", consumer)
    seen = []
    wait_until(
        lambda: seen.append(lag(port, "order-created")) or seen[-1] == 0,
        timeout=90,
        interval=0.5,
        message=f"lag back to 0 (last seen {seen[-3:]})",
    )
