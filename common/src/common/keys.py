"""Local development secrets under var/keys/: made once by `make_local_keys`, never committed.

Settings only read them (`local_jwt_key_pair`, `local_secret_key`); `prepare_local` (run by
`manage.py`, `manage_all.py up` and `test`, and the pytest plugin) makes them.
"""

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from common.paths import var_dir


def _keys_dir() -> Path:
    return var_dir() / "keys"


def _write_once(path: Path, content: bytes) -> None:
    """Create `path` with `content` unless another process won the race."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def make_local_keys() -> None:
    """Generate the shared RSA pair and the Django secret key where they are missing."""
    keys = _keys_dir()
    keys.mkdir(parents=True, exist_ok=True)
    private_path, public_path = keys / "jwt_private.pem", keys / "jwt_public.pem"
    if not private_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_once(private_path, pem)
    if not public_path.exists():
        _write_once(public_path, public_pem_of(private_path.read_text()).encode())
    if not (keys / "django_secret_key").exists():
        _write_once(keys / "django_secret_key", secrets.token_urlsafe(50).encode())


def _read(name: str) -> str:
    path = _keys_dir() / name
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{path} is missing: run `python3 manage_all.py up` (or `test`), or any `manage.py` "
            "command such as migrate, which make the local keys; or set the variable"
        ) from None


def local_jwt_key_pair() -> tuple[str, str]:
    """Return the local (private PEM, public PEM)."""
    return _read("jwt_private.pem"), _read("jwt_public.pem")


def local_secret_key() -> str:
    return _read("django_secret_key").strip()


def public_pem_of(private_pem: str) -> str:
    """Return the public key (PEM) of an RSA private key (PEM)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
