"""The subcommands of manage_all.py."""

import argparse
import os
import subprocess
import sys

from stack.registry import ROOT, existing_services, service_named


def manage(service_name: str, *args: str, check: bool = True) -> int:
    """Run `manage.py <args>` of one service in its own process."""
    service = service_named(service_name)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=service.directory, env=dict(os.environ), check=check
    ).returncode


def cmd_migrate(args) -> int:
    for service in existing_services():
        print(f"migrating {service.name} ...", flush=True)
        manage(service.name, "migrate", "--noinput", "-v", "0")
    return 0


def cmd_createadmin(args) -> int:
    """Create or reset the admin account in users, and the admin-site login where one exists."""
    failed = []
    for service in existing_services():
        command = "createadmin" if service.name == "users" else "createstaff"
        if manage(service.name, command, f"--email={args.email}", f"--password={args.password}", check=False):
            failed.append(service.name)
    if failed:
        print(f"createadmin failed in: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def cmd_test(args) -> int:
    from stack.testing import run_tests

    return run_tests(only=args.only, pytest_args=args.pytest_args, jobs=args.jobs)


def cmd_lint(args) -> int:
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(s.directory) for s in existing_services())}
    failed = 0
    for tool, *args in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["lint-imports"]):
        print("$", tool, *args)
        failed |= subprocess.run([os.path.join(bin_dir, tool), *args], cwd=ROOT, env=env).returncode != 0
    return int(failed)


def cmd_up(args) -> int:
    from stack.supervisor import run_up

    return run_up(observability=args.observability)


def cmd_ctl(args) -> int:
    from stack.harness import control

    return control(args.action, args.child, timeout=args.timeout)


def cmd_bench(args) -> int:
    # bench/ imports stack, never the reverse: run it as its own module.
    return subprocess.call(
        [sys.executable, "-m", "bench.run", *(["--quick"] if args.quick else [])], cwd=ROOT
    )


def cmd_soak(args) -> int:
    from stack.soak import run_soak

    names = ("minutes", "url", "admin_email", "admin_password", "order_rate", "browsers")
    return run_soak(**{name: getattr(args, name) for name in names})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage_all.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start the whole system in the foreground")
    up.add_argument("--observability", action="store_true", help="install Prometheus (Debian) if missing")
    up.set_defaults(func=cmd_up)

    ctl = sub.add_parser("ctl", help="stop or start one child of a running `up` (e.g. payments-work)")
    ctl.add_argument("action", choices=["stop", "start"])
    ctl.add_argument("child", help="a name from var/run/state.json: <svc>-web, <svc>-work, gateway, ...")
    ctl.add_argument("--timeout", type=float, default=60)
    ctl.set_defaults(func=cmd_ctl)
    sub.add_parser("migrate", help="migrate every service's database").set_defaults(func=cmd_migrate)

    admin = sub.add_parser("createadmin", help="create or reset an admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.set_defaults(func=cmd_createadmin)

    test = sub.add_parser("test", help="run every test suite and print one summary")
    test.add_argument("--only", action="append", default=[], help="suite name (common, a service, e2e)")
    test.add_argument("--jobs", type=int, default=2, help="suites run at once")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest after --")
    test.set_defaults(func=cmd_test)

    sub.add_parser("lint", help="ruff and import-linter").set_defaults(func=cmd_lint)

    soak = sub.add_parser("soak", help="mixed load for N minutes; errors, lost orders, doubled effects, RSS")
    soak.add_argument("--minutes", type=float, default=10)
    soak.add_argument("--url", help="soak a running system (its gateway URL) instead of starting one")
    soak.add_argument("--admin-email", help="an admin of the system given with --url")
    soak.add_argument("--admin-password")
    soak.add_argument("--order-rate", type=float, default=4, help="orders placed per second")
    soak.add_argument("--browsers", type=int, default=4, help="catalogue readers running at once")
    soak.set_defaults(func=cmd_soak)

    bench = sub.add_parser("bench", help="throughput and latency beside this machine's ceilings")
    bench.add_argument("--quick", action="store_true", help="a few seconds per scenario (CI)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    return args.func(args)
