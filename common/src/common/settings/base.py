"""The settings every CommerceX service shares, as plain module-level values.

A service's settings module is

    from common.settings.base import *
    INSTALLED_APPS = [*INSTALLED_APPS, "orders"]
    EVENT_HANDLERS = "orders.handlers.HANDLERS"

plus only what is its own. The service is named by its settings module
(`DJANGO_SETTINGS_MODULE=orders.settings` → `orders`). Every environment-specific value is
read from the environment with django-environ (see the README's configuration table);
production (DJANGO_ENV=production) refuses to start without its secrets. Importing this
module writes nothing: local keys and folders are made by `common.local.prepare_local`.
"""

import os
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from common.keys import local_secret_key
from common.logging import logging_config
from common.paths import var_dir
from common.settings.env import env, env_rate, is_production
from common.settings.readers import database_settings, jwt_keys, jwt_public_keys

DEFAULT_RATE_LIMIT = "1000/1m"
DEFAULT_LOGIN_RATE_LIMIT = "10/15m"

PRODUCTION = is_production()
SERVICE_NAME = os.environ.get("DJANGO_SETTINGS_MODULE", "").partition(".")[0]
if not SERVICE_NAME:
    raise ImproperlyConfigured("DJANGO_SETTINGS_MODULE must name the service's settings (<svc>.settings)")

DEBUG = env.bool("DJANGO_DEBUG", default=False) and not PRODUCTION
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=env.unless_production("")) or local_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=env.unless_production(["*"]))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "common.events",
    "django_prometheus",
    "common.observability",
]
MIDDLEWARE = [
    # HTTP metrics (django-prometheus: the first and last middleware) and the trace context.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "common.observability.middleware.TraceContextMiddleware",
    "common.middleware.RequestIdMiddleware",
    # GET /metrics, answered before host validation, rate limits and sessions (see there).
    "common.observability.middleware.MetricsMiddleware",
    # Content-Security-Policy by content type: strict for JSON, own assets for HTML pages.
    "common.csp.ContentSecurityPolicyMiddleware",
    "common.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so that 429/503 answers and static files carry X-Frame-Options too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.DatabaseUnavailableMiddleware",
    "common.middleware.RateLimitMiddleware",
    # Sessions, auth and messages serve the admin's pages only: skipped on /api/ paths, which
    # authenticate by Bearer token (common.middleware.BrowserSessionMiddleware). CSRF stays
    # as it is (`check --deploy` looks for it by name); on /api/ it reads no cookie it could
    # act on and DRF's views are csrf_exempt, so it costs a few microseconds there.
    "common.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "common.middleware.BrowserAuthenticationMiddleware",
    "common.middleware.BrowserMessageMiddleware",
    "common.observability.middleware.CacheMetricsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
ROOT_URLCONF = f"{SERVICE_NAME}.urls"
WSGI_APPLICATION = f"{SERVICE_NAME}.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": database_settings(SERVICE_NAME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0"),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default=SERVICE_NAME),
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
            "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.25),
            # Redis down must degrade a service (no cache, no rate limit), never fail it.
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "common.cache"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{validator}"}
    for validator in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = f"/static/{SERVICE_NAME}/"
STATIC_ROOT = str(var_dir() / "static" / SERVICE_NAME)
APPEND_SLASH = False
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["common.auth.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON nested too deeply (past the decoder's recursion limit too) is a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    # Every operation documents its error answers; request constraints match the validators.
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"CommerceX {SERVICE_NAME} service",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# RS256: every service verifies with the public key; the service that signs tokens (users)
# sets SIGNING_KEY from `jwt_keys(signs_tokens=True)` in its own settings.
SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": "",
    "VERIFYING_KEY": jwt_keys(signs_tokens=False)[1],
    "AUDIENCE": env.str("JWT_AUDIENCE", default="commercex"),
    "ISSUER": env.str("JWT_ISSUER", default="commercex-users"),
    "LEEWAY": 0,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_USER_CLASS": "common.auth.TokenUser",
}
# The key ring tokens are verified with (a token's `kid` picks its key): key rotation
# without logging anyone out. JWT_PUBLIC_KEY first, then JWT_PUBLIC_KEYS.
JWT_PUBLIC_KEYS = jwt_public_keys(SIMPLE_JWT["VERIFYING_KEY"])

# Requests per client IP and service; failed logins per email and per IP ("off" disables).
RATE_LIMIT = env_rate("RATE_LIMIT", DEFAULT_RATE_LIMIT)
LOGIN_RATE_LIMIT = env_rate("LOGIN_RATE_LIMIT", DEFAULT_LOGIN_RATE_LIMIT)
RATELIMIT_IP_META_KEY = "common.middleware.client_ip"
RATELIMIT_USE_CACHE = "default"
# Redis down disables rate limiting rather than refusing every request.
RATELIMIT_FAIL_OPEN = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = logging_config(service=SERVICE_NAME, level=env.str("LOG_LEVEL", default="INFO"))

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=5)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CommerceX <no-reply@commercex.local>")

if PRODUCTION:
    # Behind the TLS-terminating gateway: `manage.py check --deploy` passes without a warning.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes from inside the cluster speak plain HTTP to the health endpoint.
    SECURE_REDIRECT_EXEMPT = [r"^(?:api/[a-z]+/)?health/?$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
else:
    CSRF_TRUSTED_ORIGINS = env.list(
        "CSRF_TRUSTED_ORIGINS", default=["http://localhost:8000", "http://127.0.0.1:8000"]
    )
