"""The fast path of catalogue reads: a cache hit answered from its stored bytes, ahead of DRF.

The innermost middleware (so rate limits, host validation, request ids, the access log,
security headers and metrics apply as to any request). A `GET` of the product list or of
one product that asks for plain JSON (no `Accept`, or only `*/*`, `application/*`,
`application/json`; no `format` parameter) is looked up in the cache in one round trip
(products/cache.py `peek_*`: no load, no lock); a hit is answered with the entry's bytes and
the headers the view would send (X-Cache, ETag, Vary, Allow), or 304 to a matching
If-None-Match. Anything else, a miss included, goes on to the view (DRF), which loads,
fills and answers; the read-aside rules are the cache's, whichever path reads.
"""

from django.urls import ResolverMatch

from products import cache as product_cache
from products import responses
from products.selectors import parse_product_id

LIST_PATHS = frozenset({"/api/products", "/api/products/"})
DETAIL_PREFIX = "/api/products/"
# The Allow header DRF sends for the router's list and detail routes (tests compare them).
LIST_ALLOW = "GET, POST, HEAD, OPTIONS"
DETAIL_ALLOW = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
_JSON_RANGES = frozenset({"*/*", "application/*", "application/json"})


def accepts_plain_json(accept: str) -> bool:
    """Whether DRF would answer this Accept header with compact JSON (its first renderer)."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = part.split(";")
        if media.strip().lower() not in _JSON_RANGES:
            return False
        if any(not param.strip().lower().startswith("q=") for param in params):
            return False
    return True


def fast_path(request):
    """The view a fast-path answer stands for (the name the HTTP metrics label it with)."""


class CachedReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and accepts_plain_json(request.META.get("HTTP_ACCEPT", "")):
            response = self.hit(request)
            if response is not None:
                return response
        return self.get_response(request)

    @staticmethod
    def hit(request):
        path = request.path_info
        if path in LIST_PATHS:
            query = list(request.GET.lists())
            if any(name == "format" for name, _ in query):
                return None
            entry = product_cache.peek_list(product_cache.list_digest(query))
            if entry is None:
                return None
            response, allow, name, kwargs = (
                responses.page_response(request, entry, hit=True),
                LIST_ALLOW,
                "list",
                {},
            )
        elif path.startswith(DETAIL_PREFIX) and not request.META.get("QUERY_STRING"):
            pk = path[len(DETAIL_PREFIX) :].removesuffix("/")
            product_id = None if "/" in pk else parse_product_id(pk)
            entry = None if product_id is None else product_cache.peek_detail(product_id)
            if entry is None:
                return None
            response, allow, name = (
                responses.detail_response(request, entry, hit=True),
                DETAIL_ALLOW,
                "detail",
            )
            kwargs = {"pk": pk}
        else:
            return None
        response["Vary"] = "Accept"
        response["Allow"] = allow
        request.resolver_match = ResolverMatch(fast_path, (), kwargs, url_name=f"product-{name}")
        return response
