"""Provide local development secrets: made once under var/keys/, never committed."""

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common.paths import var_dir


def _keys_dir() -> Path:
    path = var_dir() / "keys"
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def local_jwt_key_pair() -> tuple[str, str]:
    """Return (private PEM, public PEM), generating an RSA pair on first use."""
    private_path, public_path = _keys_dir() / "jwt_private.pem", _keys_dir() / "jwt_public.pem"
    if not private_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_once(private_path, pem)
    private_pem = private_path.read_bytes()
    if not public_path.exists():
        key = serialization.load_pem_private_key(private_pem, password=None)
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write_once(public_path, public_pem)
    return private_pem.decode(), public_path.read_text()


def public_pem_of(private_pem: str) -> str:
    """Return the public key (PEM) of an RSA private key (PEM)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def local_secret_key() -> str:
    path = _keys_dir() / "django_secret_key"
    if not path.exists():
        _write_once(path, secrets.token_urlsafe(50).encode())
    return path.read_text().strip()
