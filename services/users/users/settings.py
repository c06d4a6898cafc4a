"""Settings of the users service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.env import env
from common.settings.readers import jwt_keys, jwt_public_keys

INSTALLED_APPS = [*INSTALLED_APPS, "users"]

AUTH_USER_MODEL = "users.User"
EVENT_HANDLERS = "users.handlers.HANDLERS"

# The users service signs the access tokens every service verifies (with the key's `kid`),
# and publishes the ring of public keys at /api/auth/jwks.json.
_private_pem, _public_pem = jwt_keys(signs_tokens=True)
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": _private_pem, "VERIFYING_KEY": _public_pem}
JWT_PUBLIC_KEYS = jwt_public_keys(_public_pem)

# Absolute lifetime of a login session: its refresh tokens stop working this many days
# after the login, however often they were rotated (each one lives JWT_REFRESH_DAYS at most).
JWT_SESSION_DAYS = env.int("JWT_SESSION_DAYS", default=30)
