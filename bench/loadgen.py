"""Load generators: `wrk` for fixed requests (keep-alive, C), aiohttp for open-loop order flows."""

import asyncio
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
WRK_THREADS = 2
WRK_CONNECTIONS = 32

# An open-loop run stops offering once it is this far behind its schedule (overloaded).
MAX_LAG_SECONDS = 10.0

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class WrkResult:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    failed: int  # non-2xx/3xx answers plus socket errors

    def as_dict(self) -> dict:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": None if self.p50_ms is None else round(self.p50_ms, 2),
            "p99_ms": None if self.p99_ms is None else round(self.p99_ms, 2),
            "requests": self.requests,
            "failed": self.failed,
        }


def _duration_ms(text: str | None) -> float | None:
    if text is None:
        return None
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, p50, p99, request and failure counts from `wrk --latency` output."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    requests = int(re.search(r"^\s+(\d+) requests in", output, re.MULTILINE).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    failed += sum(int(value) for value in socket.groups()) if socket else 0
    return WrkResult(
        rps=float(re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE).group(1)),
        p50_ms=_duration_ms(percentiles.get("50")),
        p99_ms=_duration_ms(percentiles.get("99")),
        requests=requests,
        failed=failed,
    )


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int = WRK_CONNECTIONS,
    threads: int = WRK_THREADS,
    script: str | None = None,
    env: dict | None = None,
    save_as: Path | None = None,
) -> WrkResult:
    """Run wrk against `url` for `seconds` (keep-alive) and return its figures."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    script_args = ["-s", str(LUA / script), url, "--", str(threads)] if script else [url]
    command += ["--timeout", "10s", *script_args]
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=seconds + 60
    )
    if save_as is not None:
        save_as.parent.mkdir(parents=True, exist_ok=True)
        save_as.write_text(" ".join(command) + "\n\n" + result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
    try:
        return parse_wrk(result.stdout)
    except (AttributeError, ValueError) as error:
        raise RuntimeError(f"unreadable wrk output ({error}):\n{result.stdout}\n{result.stderr}") from error


def percentile(values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass
class OfferedLoad:
    """What an open-loop run sent and got back."""

    offered_rate: float
    seconds: float
    sent: int = 0
    accepted_ids: list[str] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    behind: int = 0  # requests that could not start on time (too many in flight)
    gave_up: bool = False  # stopped early: fell more than MAX_LAG_SECONDS behind the schedule
    elapsed: float = 0.0

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed else 0.0


async def _offer_orders(
    base_url: str,
    *,
    rate: float,
    seconds: float,
    products: list[str],
    tokens: list[str],
    payment_method: str = "tok_visa",
    max_in_flight: int = 256,
) -> OfferedLoad:
    import aiohttp

    load = OfferedLoad(offered_rate=rate, seconds=seconds)
    total = max(1, round(rate * seconds))
    slots = asyncio.Semaphore(max_in_flight)
    connector = aiohttp.TCPConnector(limit=max_in_flight, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=30)

    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def place(index: int) -> None:
            product = products[index % len(products)]
            body = {"items": [{"product": product, "quantity": 1}], "payment_method": payment_method}
            headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
            started = time.perf_counter()
            try:
                async with session.post("/api/orders/", json=body, headers=headers) as response:
                    answer = await response.json(content_type=None)
                    if response.status == 201:
                        load.accepted_ids.append(answer["id"])
                        load.latencies_ms.append((time.perf_counter() - started) * 1000)
                    else:
                        load.failures[response.status] += 1
            except (TimeoutError, aiohttp.ClientError, ValueError) as error:
                load.failures[type(error).__name__] += 1
            finally:
                slots.release()

        tasks = []
        started = time.perf_counter()
        for index in range(total):
            due = started + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if slots.locked():
                load.behind += 1
            await slots.acquire()
            if time.perf_counter() - due > MAX_LAG_SECONDS:
                slots.release()
                load.gave_up = True
                break
            load.sent += 1
            tasks.append(asyncio.ensure_future(place(index)))
        load.elapsed = time.perf_counter() - started
        await asyncio.gather(*tasks)
    return load


def offer_orders(base_url: str, **kwargs) -> OfferedLoad:
    """Place orders at a fixed offered rate (open loop) for a while; return what happened."""
    return asyncio.run(_offer_orders(base_url, **kwargs))
