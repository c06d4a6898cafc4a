"""Settings of the users service: the shared base plus what is its own."""

from common.settings import service_settings

globals().update(
    service_settings(
        name="users",
        apps=["rest_framework_simplejwt.token_blacklist", "users"],
        signs_tokens=True,
    )
)

AUTH_USER_MODEL = "users.User"
EVENT_HANDLERS = "users.handlers.HANDLERS"
