"""HTTP answers made from cache entries (products/entries.py): the view's and the fast path's.

Both answer a JSON read with the entry's bytes, `X-Cache`, and for a 200 its `ETag`; an
`If-None-Match` naming that ETag gets 304 Not Modified. The view answers other media types
(the browsable API) from the same entry, decoded.
"""

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework.utils.urls import remove_query_param, replace_query_param

from products import entries

CACHE_HEADER = "X-Cache"
PAGE_QUERY_PARAM = "page"


def not_modified(request, etag: str) -> bool:
    """Whether the request's If-None-Match names `etag` (weak comparison, as for GET)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header or not etag:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def json_response(
    request, *, body: bytes, status: int, etag: str, hit: bool, conditional: bool = True
) -> HttpResponse:
    if conditional and etag and status == 200 and not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type="application/json")
    if etag:
        response["ETag"] = etag
    response[CACHE_HEADER] = "HIT" if hit else "MISS"
    return response


def detail_response(request, entry: bytes, *, hit: bool, conditional: bool = True) -> HttpResponse:
    detail = entries.read_detail(entry)
    return json_response(
        request, body=detail.body, status=detail.status, etag=detail.etag, hit=hit, conditional=conditional
    )


def page_links(request, page: entries.Page) -> tuple[str | None, str | None]:
    """`next` and `previous` of a page, from the caller's own URL (as DRF's paginator builds them)."""
    url, number = request.build_absolute_uri(), page.page
    following = replace_query_param(url, PAGE_QUERY_PARAM, number + 1) if number < page.num_pages else None
    if number <= 1:
        previous = None
    elif number == 2:
        previous = remove_query_param(url, PAGE_QUERY_PARAM)
    else:
        previous = replace_query_param(url, PAGE_QUERY_PARAM, number - 1)
    return following, previous


def page_response(request, entry: bytes, *, hit: bool, conditional: bool = True) -> HttpResponse:
    page = entries.read_page(entry)
    links = page_links(request, page)
    return json_response(
        request,
        body=page.body(*links),
        status=200,
        etag=page.etag_for(*links),
        hit=hit,
        conditional=conditional,
    )
