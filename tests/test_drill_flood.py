"""Flood drills: a burst from one client gets 429 + Retry-After; every other client is served.

The flooding client talks from a loopback address of its own (127.0.0.4x): the gateway and
the services key their limits on the client IP, so the rest of the suite (127.0.0.1) keeps
its budgets. Both limits are exercised on the shared system with their defaults: the
gateway's per-IP request rate (GATEWAY_RATE_LIMIT, 100 r/s + burst 200) and requests in
flight (GATEWAY_CONN_LIMIT, 64), and the services' RATE_LIMIT per IP and service (1000/1m).
"""

import asyncio
import os
import threading
import time
from collections import Counter

import drills
import httpx
import pytest


def burst(system, source: str, path: str, *, count: int, concurrency: int = 24) -> list[httpx.Response]:
    """Send `count` GETs from `source`, `concurrency` at a time; return the responses."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        transport = httpx.AsyncHTTPTransport(local_address=source, limits=limits)
        async with httpx.AsyncClient(base_url=system.gateway_url, transport=transport, timeout=30) as api:
            gate = asyncio.Semaphore(concurrency)

            async def one() -> httpx.Response:
                async with gate:
                    return await api.get(path)

            return await asyncio.gather(*(one() for _ in range(count)))

    return asyncio.run(run())


def others_are_served(system, stop: threading.Event, results: list[int]) -> None:
    """Another client (127.0.0.1) browsing while the flood runs; collect its status codes."""
    with drills.client(system, source="127.0.0.1") as api:
        while not stop.is_set():
            for path in ("/health", "/api/products/", "/api/users/health"):
                results.append(api.get(path).status_code)
            time.sleep(0.05)


def assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


@pytest.mark.disruptive
def test_gateway_flood_gets_429_with_retry_after_and_others_are_served(system):
    if "off" in (os.environ.get("RATE_LIMIT", "").lower(), os.environ.get("GATEWAY_RATE_LIMIT", "").lower()):
        pytest.skip("the gateway's flood limit is off (RATE_LIMIT or GATEWAY_RATE_LIMIT)")
    stop, seen = threading.Event(), []
    bystander = threading.Thread(target=others_are_served, args=(system, stop, seen), daemon=True)
    bystander.start()
    try:
        started = time.monotonic()
        # All at once: far more than the gateway's burst (200) arrive within a second.
        responses = burst(system, "127.0.0.41", "/api/products/health", count=800, concurrency=400)
        seconds = time.monotonic() - started
    finally:
        stop.set()
        bystander.join(10)
    limited = [r for r in responses if r.status_code == 429]
    codes = dict(Counter(r.status_code for r in responses))
    print(f"\n[flood] gateway: {len(responses)} requests in {seconds:.1f} s from one IP: {codes}")
    print(f"[flood] the other client meanwhile: {dict(Counter(seen))}")
    assert limited, codes
    # What the gateway lets through stays within GATEWAY_CONN_LIMIT requests in flight per
    # client, so the service is never overrun (no 503): the rest is the gateway's 429.
    assert set(codes) <= {200, 429}, codes
    for response in limited[:20]:
        assert_rate_limited(response)
    assert seen and set(seen) == {200}, seen


@pytest.mark.disruptive
def test_service_rate_limit_gets_429_with_retry_after_and_others_are_served(system):
    """Stay under the gateway's rate, so the service's own RATE_LIMIT is what answers 429."""
    if os.environ.get("RATE_LIMIT", "").strip().lower() == "off":
        pytest.skip("RATE_LIMIT=off: the services do not limit")
    source, path = "127.0.0.42", "/api/products/?page_size=1"
    sent, first_429 = 0, None
    with drills.client(system, source=source) as api:
        started = time.monotonic()
        while time.monotonic() - started < 40 and first_429 is None:
            tick = time.monotonic()
            for response in burst(system, source, path, count=80, concurrency=8):
                sent += 1
                if response.status_code == 429 and first_429 is None:
                    first_429 = response
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))  # ≤ 80 r/s: under the gateway's 100 r/s
        assert first_429 is not None, f"no 429 from the service after {sent} requests"
        retry_after = assert_rate_limited(first_429)
        assert retry_after > 1, "a 1 s Retry-After is the gateway's, not the service's per-minute window"
        assert api.get("/api/products/health").status_code == 200  # health checks are exempt
    with drills.client(system, source="127.0.0.1") as other:
        assert other.get(path).status_code == 200
        assert other.get("/api/orders/health").status_code == 200
    print(f"\n[flood] products service: 429 after {sent} requests from one IP, Retry-After {retry_after} s")
