"""Contract test: schemathesis on every service's OpenAPI schema, through the gateway of a running system.

`.ci/run` runs `.venv/bin/python tests/schema_contract.py`: it starts the system the way
the e2e suite does (stack.harness.System on var/contract: free ports, its own databases,
Redis and broker), makes an admin with `createadmin` (and a product and an order of
theirs, for the links to follow), and runs `schemathesis run` on
/api/<service>/schema/ for every service with the admin's token, with the checks
not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance, in every phase (examples, coverage, fuzzing, stateful: the
schemas' OpenAPI links, and the links schemathesis infers), a few examples per operation.
It prints schemathesis's figures per service, keeps each service's output and JUnit
report under var/contract/reports/, and exits non-zero when a service fails.

`--url URL --admin-email E --admin-password P` (or `--token T`) checks a system that
already runs instead;
`--max-examples N` (default 15) and `--seed S` (default: random, printed) tune the run.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stack.harness import System  # noqa: E402 - after the checkout is importable
from stack.procs import wait_until  # noqa: E402
from stack.registry import existing_services  # noqa: E402

VAR = ROOT / "var" / "contract"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PHASES = "examples,coverage,fuzzing,stateful"
ADMIN_EMAIL = "contract-admin@contract.example.com"
ADMIN_PASSWORD = "Contract-Admin-pass-4096"
_FIGURES = re.compile(r"(\d+) generated, (\d+) (?:passed|found)[^\n]*")
_LINKS = re.compile(r"API Links:\s+(\d+) covered / (\d+) selected")
_PHASE = re.compile(r"^\s*(✅|❌|⏭|🚫)\s+(Examples|Coverage|Fuzzing|Stateful)(.*)$", re.MULTILINE)


def admin_token(url: str, email: str, password: str) -> str:
    response = httpx.post(f"{url}/api/auth/login", json={"email": email, "password": password}, timeout=15)
    response.raise_for_status()
    return response.json()["token"]


def seed_data(url: str, token: str) -> None:
    """A product and an order of the admin's, so that the stateful phase follows links to real ids."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=15) as api:
        body = {"name": "Contract lamp", "price": "9.90", "stock": 1000}
        product = api.post("/api/products/", json=body).raise_for_status().json()
        wait_until(
            lambda: api.get(f"/api/inventory/{product['id']}/").status_code == 200,
            timeout=15,
            message="inventory to know the contract product",
        )
        order = {"items": [{"product": product["id"], "quantity": 1}]}
        wait_until(
            lambda: api.post("/api/orders/", json=order).status_code == 201,
            timeout=15,
            message="an order of the contract product",
        )


def run_service(url: str, service: str, token: str, *, max_examples: int, seed: int) -> dict:
    """Run schemathesis on one service's schema; return its figures and exit code."""
    reports = VAR / "reports" / service
    reports.mkdir(parents=True, exist_ok=True)
    command = [
        str(SCHEMATHESIS), "run", f"{url}/api/{service}/schema/",
        "--checks", CHECKS, "--phases", PHASES,
        "--max-examples", str(max_examples), "--seed", str(seed),
        "--header", f"Authorization: Bearer {token}",
        "--request-timeout", "15", "--generation-database", "none", "--no-color",
        "--report", "junit", "--report-dir", str(reports),
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, cwd=VAR, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    (reports / "schemathesis.log").write_text(output)
    figures = _FIGURES.findall(output)
    links = _LINKS.search(output)
    return {
        "service": service,
        "exit_code": result.returncode,
        "seconds": round(time.monotonic() - started, 1),
        "generated": int(figures[-1][0]) if figures else 0,
        "summary": _FIGURES.findall(output) and list(_FIGURES.finditer(output))[-1].group(0),
        "phases": {name: mark for mark, name, _ in _PHASE.findall(output)},
        "links": f"{links.group(1)}/{links.group(2)}" if links else "none",
        "tail": "\n".join(output.splitlines()[-60:]),
    }


def check(url: str, token: str, *, max_examples: int, seed: int) -> int:
    seed_data(url, token)
    results = []
    for service in [service.name for service in existing_services()]:
        outcome = run_service(url, service, token, max_examples=max_examples, seed=seed)
        results.append(outcome)
        state = "ok" if outcome["exit_code"] == 0 else "FAILED"
        phases = " ".join(f"{name.lower()}{mark}" for name, mark in outcome["phases"].items())
        print(
            f"[contract] {service:14} {state:6} {outcome['summary'] or 'no test cases'}; "
            f"links covered {outcome['links']}; {phases}; {outcome['seconds']} s",
            flush=True,
        )
        if outcome["exit_code"] != 0:
            print(outcome["tail"], flush=True)
    (VAR / "reports" / "summary.json").write_text(
        json.dumps([{k: v for k, v in r.items() if k != "tail"} for r in results], indent=2)
    )
    failed = [r["service"] for r in results if r["exit_code"] != 0]
    print(f"[contract] seed {seed}: {len(results) - len(failed)}/{len(results)} services pass", flush=True)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running system's gateway (default: start one)")
    parser.add_argument("--admin-email", default=ADMIN_EMAIL)
    parser.add_argument("--admin-password", default=ADMIN_PASSWORD)
    parser.add_argument("--token", help="an admin's access token (instead of logging in)")
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--seed", type=int, default=int(time.time() * 1000) % 2**32)
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    options = {"max_examples": args.max_examples, "seed": args.seed}
    if args.url:
        url = args.url.rstrip("/")
        token = args.token or admin_token(url, args.admin_email, args.admin_password)
        return check(url, token, **options)
    system = System(var=VAR, databases="contract", own_redis=True)
    system.start()
    try:
        system.create_admin(args.admin_email, args.admin_password)
        token = admin_token(system.gateway_url, args.admin_email, args.admin_password)
        return check(system.gateway_url, token, **options)
    finally:
        leftovers = system.stop()
        if leftovers:
            print("[contract] processes left running:\n" + "\n".join(leftovers), flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
