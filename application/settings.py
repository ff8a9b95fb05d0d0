"""Django settings, read from the environment (and from `.env` when present).

Every knob is an environment variable, so `make run`, `make test`, docker-compose and production share one file.
"""

from __future__ import annotations

from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from application.constants import Constants, ProductionConstants

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.bool("PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

# The product limits: strict in production, generous in development (see application/constants.py).
CONSTANTS: Constants = ProductionConstants() if PRODUCTION else Constants()

DEFAULT_SECRETS = {
    "DJANGO_SECRET_KEY": "insecure-development-secret-key-change-me",
    "CENTRIFUGO_API_KEY": "development-centrifugo-api-key",
    "CENTRIFUGO_TOKEN_HMAC_SECRET_KEY": "development-centrifugo-token-hmac-secret-key",
}
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEFAULT_SECRETS["DJANGO_SECRET_KEY"])
CENTRIFUGO_API_KEY = env.str("CENTRIFUGO_API_KEY", default=DEFAULT_SECRETS["CENTRIFUGO_API_KEY"])
CENTRIFUGO_TOKEN_HMAC_SECRET_KEY = env.str(
    "CENTRIFUGO_TOKEN_HMAC_SECRET_KEY", default=DEFAULT_SECRETS["CENTRIFUGO_TOKEN_HMAC_SECRET_KEY"]
)
if PRODUCTION:
    weak = [name for name, default in DEFAULT_SECRETS.items() if globals()[name.removeprefix("DJANGO_")] == default]
    if weak:
        raise ImproperlyConfigured(f"PRODUCTION=on refuses default secrets: set {', '.join(weak)}")

# The public origin of the service (nginx). Media URLs in responses and realtime events are absolute and built
# from it, so a REST response and the event for the same object are byte-identical.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://localhost:8080").rstrip("/")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if not PRODUCTION else ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# SPAs are served from other origins (static hosting) and call the API directly.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = not PRODUCTION and not CORS_ALLOWED_ORIGINS
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
# A send's Idempotency-Key (messages.views), and whether the answer replays an earlier send.
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Idempotent-Replayed", "Retry-After"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "users",
    "accounts",
    "chats",
    "conversations",
    "messages.apps.MessagesConfig",
    "centrifugo",
    "uploads",
    "posts",
    "friends",
]

# CORS, the error shape and the language come first, so that even the early answers below (413, JSON 404) carry
# CORS headers, are JSON and speak the request's language; the body-size guard still runs before anything reads the
# body. The language of
# /api is English unless the request opts in (application/language.py).
MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "application.middleware.ApiErrorShapeMiddleware",
    "application.language.LanguageMiddleware",
    "application.middleware.BodySizeLimitMiddleware",
    "application.middleware.ApiPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# A missing trailing slash is fixed by rewriting the path, never by a redirect that would drop a PATCH body.
APPEND_SLASH = False

ROOT_URLCONF = "application.urls"
WSGI_APPLICATION = "application.wsgi.application"
ASGI_APPLICATION = "application.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # application/templates: the Redoc page without web fonts from a CDN (drf_spectacular/redoc.html).
        "DIRS": [BASE_DIR / "application" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL is the one database. The default is the project-local cluster `make run` starts (scripts/run.sh).
LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:{port}/messenger".format(port=env.int("PG_PORT", default=5433))
DATABASES = {"default": env.db("DATABASE_URL", default=LOCAL_DATABASE_URL)}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:port/name)")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters travel apart from the SQL (the extended protocol) instead of being quoted into it by psycopg in
# Python, and a statement run more than DATABASE_PREPARE_THRESHOLD times on a connection is prepared: its
# parse and plan are kept by the server. Together about a quarter of the CPU of a small request here
# (docs/performance.md). Behind PgBouncer in transaction mode set DATABASE_PREPARE_THRESHOLD to empty.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["server_side_binding"] = env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
_threshold = env("DATABASE_PREPARE_THRESHOLD", default="5")
_db_options["prepare_threshold"] = int(_threshold) if _threshold.strip() else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: local memory by default; CACHE_URL=redis://host:6379/1 shares it between processes and nodes (what the
# replica's read-your-writes pins and DRF's throttling need once there is more than one API process).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# A PostgreSQL streaming replica for the reads of authenticated GET requests (application/replica.py,
# docs/scaling.md). Writes, and reads inside transactions or just after the user's own write, stay on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# How long a user's reads wait for the replica to replay their write before it is read regardless.
DATABASE_REPLICA_PIN_SECONDS = env.float("DATABASE_REPLICA_PIN_SECONDS", default=10.0)
if DATABASE_REPLICA_URL:
    if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL")
    if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs a cache shared by every API process (CACHE_URL=redis://...): a writer's "
            "next request may reach another process, which must know to read the primary"
        )
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    for key in ("ATOMIC_REQUESTS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        DATABASES["replica"][key] = DATABASES["default"][key]
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], **DATABASES["replica"].get("OPTIONS", {})}
    # Tests: the replica alias is the test database itself (Django creates no second one).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["application.replica.ReplicaRouter"]
    MIDDLEWARE.append("application.replica.ReplicaMiddleware")

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "application.passwords.MaximumLengthValidator"},
    # Not a check: a changed password ends the user's sessions (the admin, `manage.py changepassword`).
    {"NAME": "users.passwords.EndSessionsOnPasswordChange"},
]
PASSWORD_HASHERS = env.list("PASSWORD_HASHERS", default=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "static")))
# Uploaded files (docs/storage.md). Without S3_BUCKET they stay on local disk under MEDIA_ROOT and nginx serves
# /media; with it they go to an S3-compatible bucket (AWS S3, MinIO, Yandex Object Storage). Either way the URLs
# in responses and events are absolute and load as they are.
MEDIA_URL = f"{PUBLIC_URL}/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
S3_BUCKET = env.str("S3_BUCKET", default="")
# Public-read buckets give plain object URLs (cacheable, never expire); private ones give presigned URLs valid
# for S3_URL_LIFETIME seconds (at most 7 days; keep it above the realtime history TTL).
S3_PUBLIC_READ = env.bool("S3_PUBLIC_READ", default=False)
S3_URL_LIFETIME = env.int("S3_URL_LIFETIME", default=24 * 60 * 60)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if S3_BUCKET:
    from application.s3 import StorageConfigError, s3_storage

    try:
        STORAGES["default"] = s3_storage(
            bucket=S3_BUCKET,
            endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
            public_endpoint_url=env.str("S3_PUBLIC_ENDPOINT_URL", default=""),
            region=env.str("S3_REGION", default=""),
            access_key_id=env.str("S3_ACCESS_KEY_ID", default=""),
            secret_access_key=env.str("S3_SECRET_ACCESS_KEY", default=""),
            public_read=S3_PUBLIC_READ,
            url_lifetime=S3_URL_LIFETIME,
            public_url=env.str("S3_PUBLIC_URL", default=""),
            addressing_style=env.str("S3_ADDRESSING_STYLE", default=""),
            prefix=env.str("S3_PREFIX", default=""),
        )
    except StorageConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from exc

# Django's own guards: the whole body limit is enforced by BodySizeLimitMiddleware (413); these stop form
# parsing from buffering more than that in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = CONSTANTS.MAX_BODY_SIZE
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Throttling (application/throttling.py, docs/hardening.md): on in production, on the shared cache (CACHE_URL).
THROTTLE = env.bool("THROTTLE", default=PRODUCTION)
THROTTLE_RATES = {
    "anon": env.str("THROTTLE_ANON", default="60/minute"),
    "user": env.str("THROTTLE_USER", default="1200/minute"),
    # login, registration, refresh, logout and YandexID: per client address and per account
    "auth_ip": env.str("THROTTLE_AUTH_IP", default="30/minute"),
    "auth_account": env.str("THROTTLE_AUTH_ACCOUNT", default="10/minute"),
}
if PRODUCTION and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    raise ImproperlyConfigured(
        "PRODUCTION=on needs a cache shared by every API process for throttling: set CACHE_URL=redis://..."
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "application.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["application.renderers.FastJSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    "DEFAULT_PAGINATION_CLASS": "application.pagination.PageNumberPagination",
    "PAGE_SIZE": CONSTANTS.PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "application.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": (
        ["application.throttling.AnonRateThrottle", "application.throttling.UserRateThrottle"] if THROTTLE else []
    ),
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # The client's address for throttling: the last X-Forwarded-For entry, the one nginx appended.
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=1),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": CONSTANTS.ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": CONSTANTS.REFRESH_TOKEN_LIFETIME,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Messenger API",
    "DESCRIPTION": (BASE_DIR / "docs" / "api.md").read_text(encoding="utf-8")
    if (BASE_DIR / "docs" / "api.md").exists()
    else "",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI and Redoc from this project's static files at the versions pinned in requirements.lock (the
    # sidecar package), not from a CDN at @latest: the docs work offline and under nginx's CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "application.schema.head_only_operations",
        "application.schema.request_components",
        "application.schema.every_operation",
    ],
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": "users.models.User.Language"},
}

# Centrifugo: the names of the contract's .env (CENTRIFUGO_API_KEY, CENTRIFUGO_TOKEN_HMAC_SECRET_KEY,
# CENTRIFUGO_ALLOWED_ORIGINS) plus where its HTTP API listens for the outbox relay.
CENTRIFUGO_ALLOWED_ORIGINS = env.list("CENTRIFUGO_ALLOWED_ORIGINS", default=["*"])
CENTRIFUGO_API_URL = env.str("CENTRIFUGO_API_URL", default="http://127.0.0.1:8001/api")
CENTRIFUGO_API_TIMEOUT = env.float("CENTRIFUGO_API_TIMEOUT", default=3.0)
# Ephemeral events (typing) are published from the request itself: a short wait, then they are dropped.
CENTRIFUGO_EPHEMERAL_TIMEOUT = env.float("CENTRIFUGO_EPHEMERAL_TIMEOUT", default=0.5)
CENTRIFUGO_REDIS_URL = env.str("CENTRIFUGO_REDIS_URL", default="")

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HSTS on requests that arrived over TLS (nginx sends the same header and hides this copy).
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # No redirect to https from Django: TLS terminates at nginx or in front of it, which redirects; a plain-HTTP
    # deployment (`make run` with PRODUCTION=on) must keep working. check --deploy would warn (W008) otherwise.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# ---------------------------------------------------------------------------------------------------------------
# Accounts (docs/accounts.md): login by username or e-mail, cookie sessions, YandexID, the gateway token check.
# ---------------------------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["users.authentication.UsernameOrEmailBackend"]

# Cookie sessions (POST /api/auth/cookie/). The access cookie goes to the whole API, the refresh cookie only to
# /api/auth/. Both are HttpOnly; Secure everywhere but DEBUG. SameSite=Lax suits an SPA on the same site as the API;
# an SPA on another site needs AUTH_COOKIE_SAMESITE=None (which forces Secure) and CSRF_TRUSTED_ORIGINS.
AUTH_COOKIE_ACCESS_NAME = env.str("AUTH_COOKIE_ACCESS_NAME", default="access_token")
AUTH_COOKIE_REFRESH_NAME = env.str("AUTH_COOKIE_REFRESH_NAME", default="refresh_token")
AUTH_COOKIE_ACCESS_PATH = "/api/"
AUTH_COOKIE_REFRESH_PATH = "/api/auth/"
AUTH_COOKIE_DOMAIN = env.str("AUTH_COOKIE_DOMAIN", default="") or None
AUTH_COOKIE_SAMESITE = env.str("AUTH_COOKIE_SAMESITE", default="Lax")
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=not DEBUG or AUTH_COOKIE_SAMESITE == "None")
# The CSRF cookie is Django's (readable by scripts: the double-submit token goes back in X-CSRFToken).
CSRF_COOKIE_SAMESITE = AUTH_COOKIE_SAMESITE
CSRF_COOKIE_SECURE = AUTH_COOKIE_SECURE or PRODUCTION
CSRF_COOKIE_DOMAIN = AUTH_COOKIE_DOMAIN

# YandexID (https://yandex.ru/dev/id/doc/). The provider's URLs are settings so tests run a local fake provider.
YANDEX_CLIENT_ID = env.str("YANDEX_CLIENT_ID", default="")
YANDEX_CLIENT_SECRET = env.str("YANDEX_CLIENT_SECRET", default="")
YANDEX_REDIRECT_URI = env.str("YANDEX_REDIRECT_URI", default="")
YANDEX_OAUTH_AUTHORIZE_URL = env.str("YANDEX_OAUTH_AUTHORIZE_URL", default="https://oauth.yandex.ru/authorize")
YANDEX_OAUTH_TOKEN_URL = env.str("YANDEX_OAUTH_TOKEN_URL", default="https://oauth.yandex.ru/token")
YANDEX_INFO_URL = env.str("YANDEX_INFO_URL", default="https://login.yandex.ru/info")
YANDEX_AVATAR_URL = env.str("YANDEX_AVATAR_URL", default="https://avatars.yandex.net/get-yapic")
YANDEX_SCOPE = env.list("YANDEX_SCOPE", default=[])
YANDEX_TIMEOUT = env.float("YANDEX_TIMEOUT", default=5.0)
# How long the signed `state` of an authorize URL stays valid (seconds).
YANDEX_STATE_MAX_AGE = env.int("YANDEX_STATE_MAX_AGE", default=600)
# ----------------------------------------------------------------------------------------------- end of Accounts

# ---------------------------------------------------------------------------------------------------------------
# Realtime (docs/realtime.md): the outbox relay to Centrifugo. The Centrifugo server's own config is generated from
# these and the CENTRIFUGO_* settings above by `manage.py centrifugo_config`.
# ---------------------------------------------------------------------------------------------------------------
# The relay sleeps until a PostgreSQL NOTIFY (an outbox insert trigger) or this many seconds.
CENTRIFUGO_RELAY_POLL_INTERVAL = env.float("CENTRIFUGO_RELAY_POLL_INTERVAL", default=1.0)
# Retries while Centrifugo is unreachable back off exponentially up to this many seconds.
CENTRIFUGO_RELAY_MAX_BACKOFF = env.float("CENTRIFUGO_RELAY_MAX_BACKOFF", default=2.0)
# ----------------------------------------------------------------------------------------------- end of Realtime
