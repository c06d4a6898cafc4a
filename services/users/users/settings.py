"""Settings of the users service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.readers import jwt_keys

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_simplejwt.token_blacklist", "users"]

AUTH_USER_MODEL = "users.User"
EVENT_HANDLERS = "users.handlers.HANDLERS"

# The users service signs the access tokens every service verifies.
_private_pem, _public_pem = jwt_keys(signs_tokens=True)
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": _private_pem, "VERIFYING_KEY": _public_pem}
