"""Where a running `up` keeps its state, and `manage_all.py ctl`: stop or start one child."""

import json
import os
import sys
import time
from pathlib import Path

from stack.registry import VAR, Service


def var_dir() -> Path:
    return Path(os.environ.get("COMMERCEX_VAR_DIR") or VAR)


def service_port(service: Service, env: dict) -> int:
    """Return the service's port: <SERVICE>_PORT when set, else its registered one."""
    return int(env.get(f"{service.name.upper()}_PORT") or service.port)


def read_state(var: Path | None = None) -> dict:
    path = (var or var_dir()) / "run" / "state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_alive(pgid: int) -> bool:
    """Whether any process of the process group `pgid` still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cmdline_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def control(action: str, name: str, *, timeout: float = 60) -> int:
    """Stop or start one child of a running `up` and wait until it took effect."""
    var = var_dir()
    state = read_state(var)
    if not state.get("supervisor_pid") or not pid_alive(state["supervisor_pid"]):
        print("`manage_all.py up` is not running here.", file=sys.stderr)
        return 1
    if name not in state.get("children", {}):
        print(f"no child named {name!r}; children: {', '.join(state.get('children', {}))}", file=sys.stderr)
        return 1
    marker = var / "run" / "control" / f"{name}.stopped"
    if action == "stop":
        marker.touch()
    else:
        marker.unlink(missing_ok=True)
    wanted = "stopped" if action == "stop" else "running"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_state(var).get("children", {}).get(name, {}).get("state") == wanted:
            print(f"{name}: {wanted}")
            return 0
        time.sleep(0.1)
    print(f"{name}: not {wanted} after {timeout:.0f} s", file=sys.stderr)
    return 1
