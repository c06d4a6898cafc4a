"""Cache hits answered from stored bytes ahead of DRF: same bytes and headers, ETag and 304."""

import pytest

from products import cache as product_cache
from products import views
from products.middleware import DETAIL_ALLOW, LIST_ALLOW, accepts_plain_json

pytestmark = pytest.mark.django_db

# Headers that differ per request (or per cache outcome) by design.
PER_REQUEST = {"X-Request-ID", "X-Cache"}


def headers(response) -> dict:
    return {name: value for name, value in response.items() if name not in PER_REQUEST}


@pytest.fixture
def no_view(monkeypatch):
    """From now on the DRF view fails if it is reached: only the fast path can answer."""

    def reached(*args, **kwargs):
        raise AssertionError("the DRF view was reached")

    def block():
        monkeypatch.setattr(views.ProductViewSet, "retrieve", reached)
        monkeypatch.setattr(views.ProductViewSet, "list", reached)

    return block


@pytest.mark.parametrize("kind", ["detail", "list", "unknown product"])
def test_a_hit_is_answered_without_the_view_with_the_misses_bytes_and_headers(
    anon_api, make_product, no_view, kind
):
    product = make_product(name="Lämpchen")
    url = {
        "detail": f"/api/products/{product.id}/",
        "list": "/api/products/?page_size=1",
        "unknown product": "/api/products/00000000-0000-4000-8000-000000000001/",
    }[kind]
    make_product()  # a second page, so the list has a `next` link
    miss = anon_api.get(url)
    no_view()

    hit = anon_api.get(url)

    assert (miss["X-Cache"], hit["X-Cache"]) == ("MISS", "HIT")
    assert hit.status_code == miss.status_code
    assert hit.content == miss.content
    assert headers(hit) == headers(miss)
    assert hit["Allow"] == (LIST_ALLOW if kind == "list" else DETAIL_ALLOW)
    assert hit["Vary"] == "Accept" and hit["Content-Type"] == "application/json"


def test_the_bytes_are_what_drf_renders(anon_api, make_product):
    product = make_product(name="Lamp")
    url = f"/api/products/{product.id}/"
    anon_api.get(url)

    hit = anon_api.get(url)
    rendered = anon_api.get(url, HTTP_ACCEPT="application/json; indent=2")  # DRF renders it again

    assert hit["X-Cache"] == rendered["X-Cache"] == "HIT"
    assert hit.json() == rendered.json()
    assert b"\n" in rendered.content and b"\n" not in hit.content


@pytest.mark.parametrize("cached", [True, False], ids=["hit", "miss"])
@pytest.mark.parametrize("path", ["/api/products/{id}/", "/api/products/"])
def test_a_conditional_get_of_an_unchanged_read_gets_304(anon_api, make_product, path, cached):
    product = make_product()
    url = path.format(id=product.id)
    etag = anon_api.get(url)["ETag"]
    if not cached:
        product_cache.product_changed(product_id=product.id)  # entry and list generation dropped

    conditional = anon_api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert etag.startswith('"') and etag.endswith('"')
    assert conditional.status_code == 304
    assert conditional.content == b""
    assert conditional["ETag"] == etag
    assert conditional["X-Cache"] == ("HIT" if cached else "MISS")


@pytest.mark.parametrize("header", ['W/"{tag}"', '"other", "{tag}"', "*"])
def test_if_none_match_forms(anon_api, make_product, header):
    product = make_product()
    url = f"/api/products/{product.id}/"
    tag = anon_api.get(url)["ETag"].strip('"')

    assert anon_api.get(url, HTTP_IF_NONE_MATCH=header.format(tag=tag)).status_code == 304


def test_a_stale_etag_gets_the_new_body(anon_api, admin_api, make_product):
    product = make_product(name="Before")
    url = f"/api/products/{product.id}/"
    anon_api.get(url)
    etag = anon_api.get(url)["ETag"]

    admin_api.patch(url, {"name": "After"}, format="json")
    response = anon_api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["name"] == "After"
    assert response["ETag"] != etag


def test_a_list_etag_depends_on_the_callers_links(anon_api, make_product):
    make_product(), make_product()
    a = anon_api.get("/api/products/", {"page_size": 1}, HTTP_HOST="a.example")
    b = anon_api.get("/api/products/", {"page_size": 1}, HTTP_HOST="b.example")

    assert b["X-Cache"] == "HIT"
    assert a["ETag"] != b["ETag"]
    b_with_as_tag = anon_api.get(
        "/api/products/", {"page_size": 1}, HTTP_HOST="b.example", HTTP_IF_NONE_MATCH=a["ETag"]
    )
    assert b_with_as_tag.status_code == 200


@pytest.mark.parametrize("page", ["list", "detail"])
def test_the_browsable_api_renders_a_cached_read_as_html(anon_api, make_product, page):
    product = make_product(name="Browsable lamp")
    url = "/api/products/" if page == "list" else f"/api/products/{product.id}/"
    anon_api.get(url)

    html = anon_api.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    formatted = anon_api.get(url, {"format": "api"})

    for response in (html, formatted):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert b"Browsable lamp" in response.content
        assert "ETag" not in response
    # The JSON read cached the entry the page renders; `?format=api` names a list page of its own.
    assert html["X-Cache"] == "HIT"
    assert formatted["X-Cache"] == ("HIT" if page == "detail" else "MISS")


def test_api_reads_set_no_session_or_cookie(anon_api, make_product):
    product = make_product()
    for _ in range(2):
        response = anon_api.get(f"/api/products/{product.id}/")
        assert "Set-Cookie" not in response
        assert "Cookie" not in response["Vary"]
    assert not anon_api.cookies


def test_the_admin_keeps_csrf_and_sessions(make_product):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    login_page = browser.get("/admin/products/login/")
    forged = browser.post("/admin/products/login/", {"username": "x", "password": "y"})

    assert login_page.status_code == 200 and "csrftoken" in login_page.cookies
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("accept", "plain"),
    [
        ("", True),
        ("*/*", True),
        ("application/json", True),
        ("application/json, */*;q=0.8", True),
        ("text/html,application/xhtml+xml,*/*;q=0.8", False),
        ("application/json; indent=4", False),
        ("application/xml", False),
    ],
)
def test_which_accept_headers_take_the_fast_path(accept, plain):
    assert accepts_plain_json(accept) is plain
