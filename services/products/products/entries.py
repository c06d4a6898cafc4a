"""Cache entries as the bytes a read answers with: rendered once at fill, served as they are.

An entry is one header line, then the JSON body:

- a product (or its 404): `<status> <etag>\\n<body>`;
- a list page: `<count> <page> <num_pages> <etag>\\n<results>`, the page's `results` array
  already rendered; `next` and `previous` depend on the caller's URL (host included), so a
  hit wraps the array in the page object with links built for that request.

The JSON is DRF's JSONRenderer's (the bytes are what the view would render), so a hit and a
miss answer byte for byte the same. The ETag is a hash of the body (for a page, of its
results and its links), so a conditional GET (`If-None-Match`) of an unchanged read gets 304.
"""

import hashlib
from dataclasses import dataclass

from rest_framework.renderers import JSONRenderer

_RENDERER = JSONRenderer()
NOT_FOUND_BODY = _RENDERER.render({"detail": "Not found."})


def _tag(*parts: bytes) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def render(data) -> bytes:
    """`data` as DRF's JSON renderer writes it."""
    return _RENDERER.render(data)


@dataclass(frozen=True)
class Detail:
    status: int
    etag: str
    body: bytes


def detail_entry(data: dict | None) -> bytes:
    """The entry of one product's representation (None: the product does not exist)."""
    if data is None:
        return b"404 -\n" + NOT_FOUND_BODY
    body = render(data)
    return f"200 {_tag(body)}\n".encode() + body


def read_detail(entry: bytes) -> Detail:
    head, _, body = entry.partition(b"\n")
    status, etag = head.split(b" ")
    return Detail(int(status), f'"{etag.decode()}"' if status == b"200" else "", body)


def _link(url: str | None) -> bytes:
    return b"null" if url is None else render(url)


@dataclass(frozen=True)
class Page:
    count: int
    page: int
    num_pages: int
    etag: str
    results: bytes

    def body(self, following: str | None, previous: str | None) -> bytes:
        return b'{"count":%d,"next":%s,"previous":%s,"results":%s}' % (
            self.count,
            _link(following),
            _link(previous),
            self.results,
        )

    def etag_for(self, following: str | None, previous: str | None) -> str:
        links = f"{following or ''} {previous or ''}".encode()
        return f'"{self.etag}-{_tag(links)[:12]}"'


def page_entry(page: dict) -> bytes:
    """The entry of one list page: {count, page, num_pages, results} as selectors load it."""
    results = render(page["results"])
    return f"{page['count']} {page['page']} {page['num_pages']} {_tag(results)}\n".encode() + results


def read_page(entry: bytes) -> Page:
    head, _, results = entry.partition(b"\n")
    count, page, num_pages, etag = head.split(b" ")
    return Page(int(count), int(page), int(num_pages), etag.decode(), results)
