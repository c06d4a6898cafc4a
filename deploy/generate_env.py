"""Write .env for `docker compose up` from deploy/compose.env.example with fresh secrets.

Run it with the project's venv (it needs `cryptography`): `.venv/bin/python
deploy/generate_env.py [--output PATH]`. It refuses to overwrite an existing file, since
replacing the database passwords of an initialised PostgreSQL volume locks the services out.
"""

import argparse
import re
import secrets
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(__file__).resolve().parent / "compose.env.example"
_DATABASE_URL = re.compile(r"^([A-Z]+_DATABASE_URL)=postgres://([a-z_]+):change-me@(.+)$")


def _pem_line(pem: bytes) -> str:
    """Quote a PEM block as one .env line, line breaks written as \\n."""
    return '"' + pem.decode().replace("\n", "\\n") + '"'


def jwt_key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _pem_line(private), _pem_line(public)


def render(example: str) -> str:
    """Return the example with every change-me replaced by a new random secret."""
    private, public = jwt_key_pair()
    lines = []
    for line in example.splitlines():
        match = _DATABASE_URL.match(line)
        if match:
            name, role, rest = match.groups()
            line = f"{name}=postgres://{role}:{secrets.token_hex(24)}@{rest}"
        elif line.startswith("POSTGRES_PASSWORD="):
            line = f"POSTGRES_PASSWORD={secrets.token_hex(24)}"
        elif line.startswith("DJANGO_SECRET_KEY="):
            line = f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}"
        elif line.startswith("JWT_PRIVATE_KEY="):
            line = f"JWT_PRIVATE_KEY={private}"
        elif line.startswith("JWT_PUBLIC_KEY="):
            line = f"JWT_PUBLIC_KEY={public}"
        lines.append(line)
    rendered = "\n".join(lines) + "\n"
    leftover = [line for line in rendered.splitlines() if "change-me" in line and not line.startswith("#")]
    if leftover:
        raise ValueError(f"no secret generated for: {leftover}")
    return rendered


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / ".env")
    args = parser.parse_args(argv)
    if args.output.exists():
        print(f"{args.output} exists; remove it first to generate new secrets", file=sys.stderr)
        return 1
    args.output.write_text(render(EXAMPLE.read_text()))
    args.output.chmod(0o600)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
