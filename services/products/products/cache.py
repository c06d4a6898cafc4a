"""Read-aside cache of product reads in Redis (django-redis, the `default` cache).

- A miss loads from the database under a short per-key Redis lock; concurrent misses for
  the same key wait for that load's result instead of querying too (stampede protection).
- A write drops the product's entry and renews the list generation at once; when its
  transaction commits it puts a "stale" marker (a fresh token) in the entry and renews
  the generation again. Reads stay read-aside: the next read after a write is a MISS that
  loads the committed row. A reader fills an entry only if it still holds what the reader
  saw when it missed (nothing, or the same marker), so a reader that loaded the old row
  before the commit can never put it back after the write has returned.
- List entries live under the current generation; renewing it retires every cached list.
  One round trip reads the generation and the page (or takes the page's load lock).
- Entries are the bytes a hit answers with (products/entries.py renders them once, at fill),
  stored raw, not pickled; `peek_detail`/`peek_list` read them for the fast path ahead of
  DRF (products/middleware.py), which never loads or locks: a miss goes on to the view.
- A Redis failure is logged and the cache skipped for PRODUCTS_CACHE_RETRY_SECONDS, so
  reads are served from the database; invalidations that failed are retried once Redis
  answers again (entries also expire after PRODUCTS_CACHE_TTL).
"""

import contextlib
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

REDIS_ERRORS = (ConnectionInterrupted, RedisError, OSError)
MISSING = object()
# "v2": entries are raw bytes (they were pickled dicts under products:detail:/products:list:).
GENERATION_KEY = "products:v2:list:generation"
LIST_PREFIX = "products:v2:list:"


@dataclass(frozen=True)
class Cached:
    value: Any
    hit: bool


class CacheUnavailable(Exception):
    """Redis did not answer; the caller falls back to the database."""


class _Breaker:
    """Skip Redis for a moment after it failed, instead of paying a timeout per request."""

    def __init__(self) -> None:
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, error: Exception) -> None:
        with self._lock:
            was_open = self.is_open()
            self._open_until = time.monotonic() + settings.PRODUCTS_CACHE_RETRY_SECONDS
        if not was_open:
            logger.warning(
                "redis unavailable: product reads are served from the database",
                extra={"error": repr(error.__cause__ or error)},
            )

    def reset(self) -> None:
        self._open_until = 0.0


breaker = _Breaker()
# Products whose invalidation failed while Redis was down: retried when it is back.
_pending_lock = threading.Lock()
_pending: set[str] = set()


def reset() -> None:
    """Forget this process's view of Redis health and pending invalidations (for tests)."""
    breaker.reset()
    with _pending_lock:
        _pending.clear()


def _call(operation: Callable, *args, **kwargs):
    try:
        return operation(*args, **kwargs)
    except REDIS_ERRORS as error:
        breaker.trip(error)
        raise CacheUnavailable from error


def _client():
    return cache.client


def _ttl() -> int:
    return settings.PRODUCTS_CACHE_TTL


def detail_key(product_id) -> str:
    return f"products:v2:detail:{product_id}"


def list_digest(query: list[tuple[str, list[str]]]) -> str:
    """The name of one list page among those of a generation: its query parameters, sorted."""
    return hashlib.sha256(json.dumps(sorted(query)).encode()).hexdigest()[:32]


def list_key(generation: str, digest: str) -> str:
    return f"{LIST_PREFIX}{generation}:{digest}"


def _renew_generation() -> None:
    redis_client = _call(_client().get_client, write=True)
    _call(redis_client.set, _client().make_key(GENERATION_KEY), uuid.uuid4().hex)


# One round trip each: "the entry, or else the load lock" and "fill if absent, drop our lock".
# Markers are raw strings; django-redis stores values pickled (starting with 0x80) or as
# digits, so a value never starts with the marker prefix.
STALE_PREFIX = "stale:"
ACQUIRE_LUA = """
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 6) ~= 'stale:' then return {1, value, ''} end
local seen = value or ''
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2, '', seen} end
return {0, '', seen}
"""
FILL_LUA = """
local current = redis.call('GET', KEYS[1]) or ''
if current == ARGV[4] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
"""
RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# ACQUIRE_LUA for a list page, whose key is <prefix><generation>:<digest>: the generation
# (made if there is none) and the page, or its load lock, in one round trip. Returns the
# generation too: a fill goes under the generation the miss saw, which a write renews.
LIST_ACQUIRE_LUA = """
local generation = redis.call('GET', KEYS[1])
if not generation then
  generation = ARGV[4]
  redis.call('SET', KEYS[1], generation)
end
local key = ARGV[1] .. generation .. ':' .. ARGV[2]
local value = redis.call('GET', key)
if value and string.sub(value, 1, 6) ~= 'stale:' then return {1, value, '', generation} end
local seen = value or ''
if redis.call('SET', key .. ':lock', ARGV[3], 'NX', 'PX', ARGV[5]) then return {2, '', seen, generation} end
return {0, '', seen, generation}
"""
LIST_PEEK_LUA = """
local generation = redis.call('GET', KEYS[1])
if not generation then return false end
return redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])
"""
_scripts: dict[str, Any] = {}


def _run(source: str, keys: list[str], args: list) -> Any:
    """Run a Lua script on the cache's Redis, with django-redis's key prefix applied to `keys`."""
    client = _client()
    redis_client = _call(client.get_client, write=True)
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = redis_client.register_script(source)
    return _call(script, keys=[client.make_key(key) for key in keys], args=args, client=redis_client)


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))


@dataclass(frozen=True)
class _Seen:
    """What one acquire round trip found: the entry (or MISSING), whether we took the load
    lock, what the entry held instead (nothing or a stale marker), and its key."""

    value: Any
    locked: bool
    seen: bytes
    key: str


def _lock_ms() -> int:
    return _milliseconds(settings.PRODUCTS_CACHE_LOCK_SECONDS)


def _acquire(key: str, token: str) -> _Seen:
    status, payload, seen = _run(ACQUIRE_LUA, [key, f"{key}:lock"], [token, _lock_ms()])
    return _Seen(bytes(payload) if status == 1 else MISSING, status == 2, seen, key)


def _acquire_page(digest: str, token: str) -> _Seen:
    prefix = str(_client().make_key(LIST_PREFIX))
    status, payload, seen, generation = _run(
        LIST_ACQUIRE_LUA, [GENERATION_KEY], [prefix, digest, token, uuid.uuid4().hex, _lock_ms()]
    )
    key = list_key(generation.decode(), digest)
    return _Seen(bytes(payload) if status == 1 else MISSING, status == 2, seen, key)


def _fill(key: str, value: bytes, token: str, seen: bytes) -> None:
    """Store `value` (bytes) if the entry still holds what we saw at the miss; drop our lock."""
    _run(FILL_LUA, [key, f"{key}:lock"], [value, _milliseconds(_ttl()), token, seen])


def _release(key: str, token: str) -> None:
    # If Redis went away the lock times out on its own.
    with contextlib.suppress(CacheUnavailable):
        _run(RELEASE_LUA, [f"{key}:lock"], [token])


def read_through(key_for: Callable[[], str], load: Callable[[], bytes]) -> Cached:
    """Return the cached bytes of `key_for()`, or `load()` them once and cache them."""
    return _read(lambda token: _acquire(key_for(), token), load)


def read_page_through(digest: str, load: Callable[[], bytes]) -> Cached:
    """The same for the list page `digest` under the current generation (one round trip)."""
    return _read(lambda token: _acquire_page(digest, token), load)


def _read(acquire: Callable[[str], _Seen], load: Callable[[], bytes]) -> Cached:
    """Concurrent misses of one key: the first takes a lock and loads; the others poll until
    its entry appears (or its lock is gone, when one of them takes over), up to
    PRODUCTS_CACHE_WAIT_SECONDS, after which they load without caching first.
    `acquire` is called only when Redis is in use.
    """
    if breaker.is_open():
        return Cached(load(), hit=False)
    _retry_pending()
    token = uuid.uuid4().hex
    try:
        found = acquire(token)
        deadline, delay = time.monotonic() + settings.PRODUCTS_CACHE_WAIT_SECONDS, 0.005
        while found.value is MISSING and not found.locked and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            found = acquire(token)
        if found.value is not MISSING:
            return Cached(found.value, hit=True)
    except CacheUnavailable:
        return Cached(load(), hit=False)
    try:
        value = load()
    except BaseException:
        if found.locked:
            _release(found.key, token)
        raise
    with contextlib.suppress(CacheUnavailable):
        _fill(found.key, value, token, found.seen)
    return Cached(value, hit=False)


def _usable(payload) -> bytes | None:
    return None if payload is None or payload.startswith(STALE_PREFIX.encode()) else bytes(payload)


def peek_detail(product_id) -> bytes | None:
    """The cached entry of a product, or None (a miss, stale, Redis skipped): one GET, no lock."""
    if breaker.is_open():
        return None
    _retry_pending()
    try:
        client = _client()
        redis_client = _call(client.get_client, write=True)
        return _usable(_call(redis_client.get, client.make_key(detail_key(product_id))))
    except CacheUnavailable:
        return None


def peek_list(digest: str) -> bytes | None:
    """The cached list page `digest` under the current generation, or None: one round trip."""
    if breaker.is_open():
        return None
    _retry_pending()
    try:
        prefix = str(_client().make_key(LIST_PREFIX))
        return _usable(_run(LIST_PEEK_LUA, [GENERATION_KEY], [prefix, digest]))
    except CacheUnavailable:
        return None


def product_changed(*, product_id) -> None:
    """Invalidate a product's cached reads now, and again (with a stale marker) after commit."""
    product_id = str(product_id)
    _forget(product_id)
    transaction.on_commit(lambda: _mark_stale(product_id), robust=True)


def products_changed(*, product_ids) -> None:
    """Invalidate several products' cached reads at once: two round trips now, two after commit."""
    product_ids = sorted({str(product_id) for product_id in product_ids})
    if not product_ids:
        return
    _forget_many(product_ids)
    transaction.on_commit(lambda: _mark_stale_many(product_ids), robust=True)


def _forget_many(product_ids: list[str]) -> None:
    try:
        client = _client()
        _call(client.delete_many, [detail_key(product_id) for product_id in product_ids])
        _renew_generation()
    except CacheUnavailable:
        with _pending_lock:
            _pending.update(product_ids)


def _mark_stale_many(product_ids: list[str]) -> None:
    try:
        client = _client()
        redis_client = _call(client.get_client, write=True)
        pipeline = redis_client.pipeline(transaction=False)
        for product_id in product_ids:
            marker = f"{STALE_PREFIX}{uuid.uuid4().hex}"
            pipeline.set(client.make_key(detail_key(product_id)), marker, px=_milliseconds(_ttl()))
        _call(pipeline.execute)
        _renew_generation()
    except CacheUnavailable:
        with _pending_lock:
            _pending.update(product_ids)


def _forget(product_id: str) -> None:
    try:
        _call(_client().delete, detail_key(product_id))
        _renew_generation()
    except CacheUnavailable:
        with _pending_lock:
            _pending.add(product_id)


def _mark_stale(product_id: str) -> None:
    try:
        client = _client()
        redis_client = _call(client.get_client, write=True)
        marker = f"{STALE_PREFIX}{uuid.uuid4().hex}"
        _call(redis_client.set, client.make_key(detail_key(product_id)), marker, px=_milliseconds(_ttl()))
        _renew_generation()
    except CacheUnavailable:
        with _pending_lock:
            _pending.add(product_id)


def _retry_pending() -> None:
    if not _pending:
        return
    with _pending_lock:
        product_ids = set(_pending)
        _pending.clear()
    for product_id in product_ids:
        _forget(product_id)
