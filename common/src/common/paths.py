"""Locate the checkout's writable `var/` folder (databases, keys, logs)."""

import os
from pathlib import Path

# common is installed editable from <repo>/common/src/common, so the repo is three levels up.
REPO_ROOT = Path(__file__).resolve().parents[3]


def var_dir() -> Path:
    """Where local state lives (`COMMERCEX_VAR_DIR`, default <repo>/var); made by `prepare_local`."""
    return Path(os.environ.get("COMMERCEX_VAR_DIR") or REPO_ROOT / "var")
