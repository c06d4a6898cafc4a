"""Cache hits answered in front of Django (products.fastpath): the same answer as Django's, cheaper.

Every request here goes through a real WSGI call (PostgreSQL and Redis real): `fast` is the
layer in front of an application that fails if reached, so only the layer can answer;
`django` is Django's own application (the hit then answered by the innermost middleware,
a miss by the view). Their status, body, headers, access-log line and metrics must agree.
"""

import io
import logging
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from prometheus_client import REGISTRY

from products.fastpath import CachedReadApplication

pytestmark = pytest.mark.django_db

# Differ per request by design: the id (unless the caller sends one) and, hit or miss, X-Cache.
PER_REQUEST = {"X-Request-ID", "X-Cache"}


def _not_reached(environ, start_response):
    raise AssertionError(f"Django was reached for {environ['REQUEST_METHOD']} {environ['PATH_INFO']}")


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status, self.body = status, body
        self.headers = dict(headers)
        assert len(self.headers) == len(headers), f"a header sent twice: {headers}"

    def same_headers(self) -> dict:
        return {name: value for name, value in self.headers.items() if name not in PER_REQUEST}


@pytest.fixture
def call():
    """Call a WSGI application as gunicorn does (without Django closing the test's connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def call(application, path: str, method: str = "GET", **headers) -> Answer:
        environ = {"REQUEST_METHOD": method, "REMOTE_ADDR": "10.1.2.3", "wsgi.input": io.BytesIO()}
        environ["PATH_INFO"], _, environ["QUERY_STRING"] = path.partition("?")
        environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
        setup_testing_defaults(environ)
        started = {}

        def start_response(status, response_headers, exc_info=None):
            started.update(status=status, headers=response_headers)

        result = application(environ, start_response)
        body = b"".join(result)
        return Answer(started["status"], started["headers"], body)

    yield call
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def django():
    return WSGIHandler()


@pytest.fixture
def fast():
    application = CachedReadApplication(_not_reached)
    assert application.enabled
    return application


@pytest.fixture
def urls(make_product):
    product = make_product(name="Lämpchen")
    make_product()  # a second page, so the list has a `next` link
    return {
        "detail": f"/api/products/{product.id}/",
        "detail without slash": f"/api/products/{product.id}",
        "list": "/api/products/?page_size=1",
        "list page 2": "/api/products?page_size=1&page=2",
        "unknown product": "/api/products/00000000-0000-4000-8000-000000000001/",
    }


KINDS = ["detail", "detail without slash", "list", "list page 2", "unknown product"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_hit_in_front_of_django_answers_what_django_answers(call, django, fast, urls, kind, method):
    url = urls[kind]
    miss = call(django, url, method)
    in_django = call(django, url, method)

    hit = call(fast, url, method)

    assert (miss.headers["X-Cache"], in_django.headers["X-Cache"], hit.headers["X-Cache"]) == (
        "MISS",
        "HIT",
        "HIT",
    )
    assert hit.status == in_django.status == miss.status
    assert hit.body == in_django.body == miss.body
    assert hit.headers == {**in_django.headers, "X-Request-ID": hit.headers["X-Request-ID"]}
    assert hit.same_headers() == miss.same_headers()
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert name in hit.headers
    assert hit.headers["Content-Length"] == str(len(hit.body))


@pytest.mark.parametrize("kind", ["detail", "list"])
def test_a_conditional_get_of_a_hit_gets_304_with_django_s_headers(call, django, fast, urls, kind):
    url = urls[kind]
    etag = call(django, url).headers["ETag"]

    hit = call(fast, url, If_None_Match=etag)
    in_django = call(django, url, If_None_Match=etag)
    changed = call(fast, url, If_None_Match='"another"')

    assert hit.status == in_django.status == "304 Not Modified"
    assert hit.body == b""
    assert hit.same_headers() == in_django.same_headers()
    assert changed.status == "200 OK" and changed.headers["ETag"] == etag


def test_the_request_id_is_echoed_and_the_trace_continued_in_the_access_log(call, django, fast, urls, caplog):
    url, trace_id = urls["detail"], "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = f"00-{trace_id}-00f067aa0ba902b7-01"
    call(django, url)
    caplog.set_level(logging.INFO, logger="common.access")

    records = []
    for application in (fast, django):
        caplog.clear()
        answer = call(application, url, X_Request_ID="caller-id-1", traceparent=traceparent)
        assert answer.headers["X-Request-ID"] == "caller-id-1"
        (record,) = [record for record in caplog.records if record.name == "common.access"]
        records.append(record)

    for record in records:
        assert (record.method, record.path, record.status, record.client_ip) == ("GET", url, 200, "10.1.2.3")
        assert (record.request_id, record.trace_id) == ("caller-id-1", trace_id)
        assert record.duration_ms >= 0


def _counts() -> dict:
    """Every sample of the HTTP and cache metrics that counts (latency sums and buckets vary)."""
    counts = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            name = sample.name
            if not name.startswith(("django_http_", "commercex_cache_")) or name.endswith("_created"):
                continue
            if "latency" in name and name.endswith(("_sum", "_bucket")):
                continue
            counts[(name, tuple(sorted(sample.labels.items())))] = sample.value
    return counts


def _delta(before: dict, after: dict) -> dict:
    return {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}


@pytest.mark.parametrize("kind", ["detail", "list"])
def test_a_hit_in_front_of_django_counts_in_every_metric_as_a_miss_through_the_view(
    call, django, fast, urls, kind
):
    """As a miss (the view, resolved): a hit inside Django, answered before the view, is not
    counted by view in django_http_requests_total_by_view_transport_method; here it is."""
    url = urls[kind]
    counted = {}
    for name, application in (("miss", django), ("fast", fast)):
        before = _counts()
        call(application, url)
        counted[name] = _delta(before, _counts())

    hit, miss = (
        ("commercex_cache_requests_total", (("result", "hit"),)),
        ("commercex_cache_requests_total", (("result", "miss"),)),
    )
    assert counted["fast"].pop(hit) == counted["miss"].pop(miss) == 1
    assert counted["fast"] == counted["miss"]
    view = ("view", f"product-{kind}")
    by_view = [name for name, labels in counted["fast"] if view in labels]
    assert "django_http_requests_total_by_view_transport_method_total" in by_view
    assert "django_http_requests_latency_seconds_by_view_method_count" in by_view
    assert "django_http_responses_total_by_status_view_method_total" in by_view


def test_with_a_rate_limit_hits_count_against_it_and_over_it_get_django_s_429(
    call, django, fast, urls, settings
):
    settings.RATE_LIMIT = "3/m"
    url = urls["detail"]
    call(django, url)  # 1: the miss that fills the entry

    answers = [call(fast, url), call(fast, url)]  # 2, 3: hits, answered in front of Django
    with pytest.raises(AssertionError, match="Django was reached"):
        call(fast, url)  # 4: over the limit, so Django answers it
    limited = call(django, url)

    assert [answer.headers["X-Cache"] for answer in answers] == ["HIT", "HIT"]
    assert limited.status.startswith("429") and "Retry-After" in limited.headers


@pytest.mark.parametrize(
    ("change", "url", "extra"),
    [
        ("the browsable API", "detail", {"Accept": "text/html"}),
        ("a format parameter", "detail", {}),
        ("a write", "detail", {}),
        ("switched off", "detail", {}),
        ("a host not allowed", "detail", {"Host": "evil.example"}),
    ],
)
def test_what_is_not_a_plain_hit_goes_on_to_django(call, django, fast, urls, settings, change, url, extra):
    path = urls[url] + ("?format=json" if change == "a format parameter" else "")
    call(django, path)
    method = "PATCH" if change == "a write" else "GET"
    if change == "switched off":
        settings.PRODUCTS_FAST_HITS = False
    if change == "a host not allowed":
        settings.ALLOWED_HOSTS = ["products.example"]

    with pytest.raises(AssertionError, match="Django was reached"):
        call(fast, path, method, **extra)


def test_an_unknown_middleware_sends_every_hit_to_django(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "example.middleware.Unknown"]

    assert not CachedReadApplication(_not_reached).enabled
