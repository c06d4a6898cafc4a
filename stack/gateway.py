"""Render the nginx gateway configuration for local runs, and find (or install) nginx."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from stack.registry import ROOT, SERVICES

TEMPLATE = ROOT / "gateway" / "commercex.conf.template"
DEFAULT_GATEWAY_PORT = 8000
DEFAULT_GATEWAY_RATE = "100r/s"
DEFAULT_GATEWAY_BURST = "200"
DEFAULT_GATEWAY_CONNECTIONS = "64"

_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")

MAIN_CONFIG = """\
# Rendered by manage_all.py up; edit gateway/commercex.conf.template instead.
worker_processes {workers};
pid {run_dir}/nginx.pid;
error_log {log_dir}/gateway-error.log warn;
daemon off;
{user_line}
events {{
    worker_connections 1024;
}}

http {{
    client_body_temp_path {temp_dir}/client_body;
    proxy_temp_path {temp_dir}/proxy;
    fastcgi_temp_path {temp_dir}/fastcgi;
    uwsgi_temp_path {temp_dir}/uwsgi;
    scgi_temp_path {temp_dir}/scgi;
    include {site};
}}
"""


def render_template(text: str, values: dict[str, str]) -> str:
    """Fill every ${NAME} placeholder of `text`; fail on one without a value."""
    missing = sorted({name for name in _PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError(f"no value for gateway placeholders: {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def gateway_values(*, ports: dict[str, int], access_log: Path, env: dict | None = None) -> dict[str, str]:
    """Return the template values for a local run from the environment (CONTRACT overrides)."""
    env = os.environ if env is None else env
    rate_limit_off = env.get("RATE_LIMIT", "").strip().lower() == "off"
    gateway_rate = env.get("GATEWAY_RATE_LIMIT", DEFAULT_GATEWAY_RATE).strip()
    connections = str(env.get("GATEWAY_CONN_LIMIT") or DEFAULT_GATEWAY_CONNECTIONS).strip()
    values = {
        "GATEWAY_PORT": str(env.get("GATEWAY_PORT") or DEFAULT_GATEWAY_PORT),
        "GATEWAY_RATE_LIMIT": "off" if rate_limit_off or gateway_rate.lower() == "off" else "on",
        "GATEWAY_RATE": DEFAULT_GATEWAY_RATE if gateway_rate.lower() == "off" else gateway_rate,
        "GATEWAY_BURST": str(env.get("GATEWAY_RATE_BURST") or DEFAULT_GATEWAY_BURST),
        # Requests one client IP may have in flight at once (nginx limit_conn); off disables.
        "GATEWAY_CONN_LIMIT": "off" if rate_limit_off or connections.lower() == "off" else "on",
        "GATEWAY_CONNECTIONS": DEFAULT_GATEWAY_CONNECTIONS if connections.lower() == "off" else connections,
        "GATEWAY_ACCESS_LOG": str(access_log),
    }
    for service in SERVICES:
        values[f"{service.name.upper()}_UPSTREAM"] = f"127.0.0.1:{ports[service.name]}"
    return values


def write_config(*, var: Path, ports: dict[str, int], env: dict | None = None) -> Path:
    """Render var/run/gateway.conf and its main config var/run/nginx.conf; return the latter."""
    values = gateway_values(ports=ports, access_log=var / "log" / "gateway-access.log", env=env)
    site = render_template(TEMPLATE.read_text(), values)
    return write_main_config(var, site, "gateway.conf", workers=os.environ.get("GATEWAY_WORKERS", "auto"))


def write_main_config(var: Path, site: str, site_name: str, *, workers: str = "auto") -> Path:
    """Write `site` as <var>/run/<site_name> and the nginx main config including it; return the latter."""
    run_dir, log_dir, temp_dir = var / "run", var / "log", var / "nginx"
    for path in (run_dir, log_dir, temp_dir):
        path.mkdir(parents=True, exist_ok=True)
    (run_dir / site_name).write_text(site)
    # As root, nginx workers would run as "nobody", which may not reach var/: keep the
    # checkout owner's account instead.
    user_line = ""
    if os.geteuid() == 0:
        import grp
        import pwd

        owner = ROOT.stat()
        user_line = f"user {pwd.getpwuid(owner.st_uid).pw_name} {grp.getgrgid(owner.st_gid).gr_name};"
    main = run_dir / "nginx.conf"
    main.write_text(
        MAIN_CONFIG.format(
            workers=workers, run_dir=run_dir, log_dir=log_dir, temp_dir=temp_dir, site=run_dir / site_name,
            user_line=user_line,
        )
    )  # fmt: skip
    return main


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), None
    )


def nginx_command(config: Path, *, test: bool = False) -> list[str]:
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    prefix = config.parent.parent / "nginx"
    command = [binary, "-p", str(prefix), "-e", str(config.parent.parent / "log" / "gateway-error.log")]
    return [*command, "-c", str(config), *(["-t", "-q"] if test else [])]


def check_config(config: Path) -> None:
    """Run `nginx -t` on the rendered config; raise with nginx's message when it is invalid."""
    result = subprocess.run(nginx_command(config, test=True), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"invalid gateway configuration:\n{result.stderr.strip()}")
