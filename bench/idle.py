"""Print what the idle system started by `up` costs: processes, memory (PSS and RSS), CPU.

Usage: .venv/bin/python -m bench.idle [--seconds 30]. Starts `up` through the harness on
free ports with the embedded defaults (SQLite, local broker; Redis as configured), waits
until it is healthy and settled (75 s: the consumers doze once idle for 60 s), then
measures every process of `up`'s tree (itself included) over the interval. PSS counts
memory shared between processes (gunicorn's preloaded workers, the interpreter's pages)
once; RSS counts it in every process.
"""

import argparse
import tempfile
import time
from pathlib import Path

import psutil

from stack.harness import System

MIB = 1024 * 1024


def tree(root_pid: int) -> list[psutil.Process]:
    root = psutil.Process(root_pid)
    return [root, *root.children(recursive=True)]


def measure(root_pid: int, seconds: float) -> dict:
    processes = tree(root_pid)
    before = {p.pid: sum(p.cpu_times()[:2]) for p in processes}
    time.sleep(seconds)
    cpu = 0.0
    pss = rss = 0
    python = 0
    for process in processes:
        try:
            cpu += sum(process.cpu_times()[:2]) - before[process.pid]
            memory = process.memory_full_info()
            pss, rss = pss + memory.pss, rss + memory.rss
            python += "python" in process.name()
        except psutil.NoSuchProcess:
            continue
    return {
        "processes": len(processes),
        "python_processes": python,
        "pss_mib": round(pss / MIB),
        "rss_mib": round(rss / MIB),
        "cpu_percent_of_one_core": round(100 * cpu / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commercex-idle-") as folder:
        system = System(var=Path(folder), env={"RATE_LIMIT": "off"})
        system.start()
        try:
            time.sleep(75)  # past start-up (migrations, topics, group joins) and the consumers' 60 s to doze
            figures = measure(system.process.pid, args.seconds)
        finally:
            system.stop()
    print(
        f"idle system: {figures['processes']} processes ({figures['python_processes']} Python), "
        f"PSS {figures['pss_mib']} MiB (RSS {figures['rss_mib']} MiB), "
        f"CPU {figures['cpu_percent_of_one_core']} % of one core over {args.seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
