#!/usr/bin/env python3
"""Run, test and administer every CommerceX service from one command.

Run it with the system's python3: on first use it creates .venv, installs requirements/
and common/, then re-runs itself inside the venv. `python3 manage_all.py --help` lists
the subcommands.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements" / "dev.txt"


def _requirements_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "requirements").glob("*.txt"), ROOT / "common" / "pyproject.toml"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_venv() -> None:
    """Create .venv and install the pinned requirements when they changed; re-exec inside it."""
    if sys.version_info < (3, 11):
        sys.exit("CommerceX needs Python 3.11 or newer.")
    stamp = VENV / f".installed-{_requirements_digest()}"
    if not stamp.exists():
        if not VENV_PYTHON.exists():
            print("creating .venv ...", flush=True)
            venv.EnvBuilder(with_pip=True).create(VENV)
        print("installing requirements (first run only) ...", flush=True)
        pip = [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS), "-e", str(ROOT / "common")], check=True)
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp.touch()
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])


if __name__ == "__main__":
    ensure_venv()
    from stack.cli import main

    sys.exit(main(sys.argv[1:]))
