"""Build a service's Django settings: the shared base plus the service's own name and apps.

A service's settings module is `globals().update(service_settings(name=..., apps=[...]))`
followed by what only that service needs. Everything environment-specific comes from
environment variables (see the README's configuration table).
"""

from datetime import timedelta

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common.keys import local_jwt_key_pair, local_secret_key, public_pem_of
from common.logging import logging_config
from common.paths import var_dir
from common.settings.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    is_production,
)

DEFAULT_RATE_LIMIT = "1000/1m"
DEFAULT_LOGIN_RATE_LIMIT = "10/15m"


def database_settings(service: str) -> dict:
    """Read `<SERVICE>_DATABASE_URL`; default to a SQLite file under var/db/."""
    default = f"sqlite:///{var_dir() / 'db' / f'{service}.sqlite3'}"
    (var_dir() / "db").mkdir(exist_ok=True)
    url = env_str(f"{service.upper()}_DATABASE_URL", default)
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
    if config["ENGINE"].endswith("postgresql"):
        # A dead database must fail a request (and the health check) quickly, not hang it.
        config.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 2)
    else:
        # SQLite: wait for a concurrent writer instead of failing with "database is locked".
        config.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
        config["CONN_MAX_AGE"] = 0
    return config


def _pem_from_env(name: str, *, required_in_production: bool) -> str:
    """Read a PEM key; a one-line value with literal `\\n`s (as some secret stores keep it) is accepted."""
    value = env_str(name, required_in_production=required_in_production)
    return value.replace("\\n", "\n").strip() + "\n" if value else ""


def jwt_keys(*, signs_tokens: bool) -> tuple[str, str]:
    """Return (private PEM or "", public PEM) from JWT_PRIVATE_KEY / JWT_PUBLIC_KEY.

    Locally, a missing pair is generated under var/keys/ (shared by every service); a
    given private key alone implies its public key. Production requires both (the public
    one only, outside the users service).
    """
    private_pem = _pem_from_env("JWT_PRIVATE_KEY", required_in_production=signs_tokens)
    public_pem = _pem_from_env("JWT_PUBLIC_KEY", required_in_production=True)
    try:
        if not public_pem and not private_pem:
            private_pem, public_pem = local_jwt_key_pair()
        elif not public_pem:
            public_pem = public_pem_of(private_pem)
        elif signs_tokens and not private_pem:
            raise ImproperlyConfigured(
                "JWT_PUBLIC_KEY is set without JWT_PRIVATE_KEY: tokens cannot be signed"
            )
        elif signs_tokens and public_pem_of(private_pem).strip() != public_pem.strip():
            raise ImproperlyConfigured("JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY")
    except ValueError as error:  # cryptography could not load the PEM
        raise ImproperlyConfigured(f"JWT_PRIVATE_KEY is not a PEM RSA private key: {error}") from error
    return (private_pem if signs_tokens else ""), public_pem


def jwt_settings(*, signs_tokens: bool) -> dict:
    """Configure RS256 tokens: only the users service holds the private key."""
    private_pem, public_pem = jwt_keys(signs_tokens=signs_tokens)
    return {
        "ALGORITHM": "RS256",
        "SIGNING_KEY": private_pem,
        "VERIFYING_KEY": public_pem,
        "AUDIENCE": env_str("JWT_AUDIENCE", "commercex"),
        "ISSUER": env_str("JWT_ISSUER", "commercex-users"),
        "LEEWAY": 0,
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
        "AUTH_HEADER_TYPES": ("Bearer",),
        "USER_ID_FIELD": "id",
        "USER_ID_CLAIM": "user_id",
        "TOKEN_USER_CLASS": "common.auth.TokenUser",
    }


def service_settings(*, name: str, apps: list[str], signs_tokens: bool = False) -> dict:
    """Return the settings every service shares, for the service called `name`."""
    production = is_production()
    static_root = var_dir() / "static" / name
    static_root.mkdir(parents=True, exist_ok=True)
    debug = env_bool("DJANGO_DEBUG", False) and not production
    redis_url = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = {
        "SERVICE_NAME": name,
        "DEBUG": debug,
        "SECRET_KEY": env_str("DJANGO_SECRET_KEY", required_in_production=True) or local_secret_key(),
        "ALLOWED_HOSTS": env_list("DJANGO_ALLOWED_HOSTS", ["*"], required_in_production=True),
        "INSTALLED_APPS": [
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
            *apps,
        ],
        "MIDDLEWARE": [
            "common.middleware.RequestIdMiddleware",
            "common.middleware.AccessLogMiddleware",
            "django.middleware.security.SecurityMiddleware",
            # Early, so that 429/503 answers and static files carry X-Frame-Options too.
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "common.middleware.DatabaseUnavailableMiddleware",
            "common.middleware.RateLimitMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        "ROOT_URLCONF": f"{name}.urls",
        "WSGI_APPLICATION": f"{name}.wsgi.application",
        "TEMPLATES": [
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
        ],
        "DATABASES": {"default": database_settings(name)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "CACHES": {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", name),
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": env_float("REDIS_CONNECT_TIMEOUT", 0.25),
                    "SOCKET_TIMEOUT": env_float("REDIS_TIMEOUT", 0.25),
                    # Redis down must degrade a service (no cache, no rate limit), never fail it.
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        },
        "DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS": True,
        "DJANGO_REDIS_LOGGER": "common.cache",
        "PASSWORD_HASHERS": [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": f"django.contrib.auth.password_validation.{validator}"}
            for validator in (
                "UserAttributeSimilarityValidator",
                "MinimumLengthValidator",
                "CommonPasswordValidator",
                "NumericPasswordValidator",
            )
        ],
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": f"/static/{name}/",
        "STATIC_ROOT": str(static_root),
        "APPEND_SLASH": False,
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 1024 * 1024,
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": ["common.auth.JWTAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
            "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
            "DEFAULT_RENDERER_CLASSES": [
                "rest_framework.renderers.JSONRenderer",
                "rest_framework.renderers.BrowsableAPIRenderer",
            ],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
            "EXCEPTION_HANDLER": "common.errors.exception_handler",
            "COERCE_DECIMAL_TO_STRING": True,
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"CommerceX {name} service",
            "VERSION": "1.0.0",
            "SCHEMA_PATH_PREFIX": r"/api/",
            "SERVE_INCLUDE_SCHEMA": False,
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "COMPONENT_SPLIT_REQUEST": True,
        },
        "SIMPLE_JWT": jwt_settings(signs_tokens=signs_tokens),
        # Requests per client IP and service; failed logins per email and per IP ("off" disables).
        "RATE_LIMIT": env_rate("RATE_LIMIT", DEFAULT_RATE_LIMIT),
        "LOGIN_RATE_LIMIT": env_rate("LOGIN_RATE_LIMIT", DEFAULT_LOGIN_RATE_LIMIT),
        "RATELIMIT_IP_META_KEY": "common.middleware.client_ip",
        "RATELIMIT_USE_CACHE": "default",
        # Redis down disables rate limiting rather than refusing every request.
        "RATELIMIT_FAIL_OPEN": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "LOGGING": logging_config(service=name, level=env_str("LOG_LEVEL", "INFO")),
        "EMAIL_BACKEND": env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "EMAIL_HOST": env_str("EMAIL_HOST", "127.0.0.1"),
        "EMAIL_PORT": env_int("EMAIL_PORT", 1025),
        "EMAIL_HOST_USER": env_str("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": env_str("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
        "EMAIL_TIMEOUT": env_int("EMAIL_TIMEOUT", 5),
        "DEFAULT_FROM_EMAIL": env_str("DEFAULT_FROM_EMAIL", "CommerceX <no-reply@commercex.local>"),
    }
    if production:
        settings.update(
            {
                "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
                "SECURE_SSL_REDIRECT": env_bool("SECURE_SSL_REDIRECT", True),
                # Probes from inside the cluster speak plain HTTP to the health endpoint.
                "SECURE_REDIRECT_EXEMPT": [r"^api/[a-z]+/health/?$"],
                "SECURE_HSTS_SECONDS": env_int("SECURE_HSTS_SECONDS", 31536000),
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
                "SECURE_HSTS_PRELOAD": True,
                "SESSION_COOKIE_SECURE": True,
                "CSRF_COOKIE_SECURE": True,
                "CSRF_TRUSTED_ORIGINS": env_list("CSRF_TRUSTED_ORIGINS", []),
            }
        )
    else:
        settings["CSRF_TRUSTED_ORIGINS"] = env_list(
            "CSRF_TRUSTED_ORIGINS", ["http://localhost:8000", "http://127.0.0.1:8000"]
        )
    return settings
