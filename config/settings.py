"""motcua settings.

Two ways to run, one codebase:

* the embedded default (no environment variables): SQLite in ``var/`` and the
  in-memory channel layer, so ``make run`` works on a bare machine;
* with ``DATABASE_URL`` and ``REDIS_URL``: PostgreSQL and Redis (CI, production).

``config.settings_production`` adds the checks a production deployment needs.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MOTCUA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _embedded_secret_key() -> str:
    """A per-checkout key kept in var/ so sessions survive restarts."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED = not DATABASE_URL

SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
#: Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR
#: ranges). Empty: the socket's peer is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
PORT = int(os.environ.get("PORT", "8000"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "config.apps.AxesConfig",
    "channels",
    "viewflow",
    "viewflow.workflow",
    "procedures",
    "notifications",
    "workflows",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes, over-long queries and oversized API bodies refused; text to NFC.
    "config.input.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out login into the Vietnamese 429 (config.security).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                # The staff header (who, which centre, unread count); lazy.
                "workflows.views.staff.staff_frame",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Server-side binding and psycopg's automatic prepared statements (a
        # statement run five times on a connection is prepared): PostgreSQL
        # stops re-planning the services' repeated queries, which costs more
        # than running them. Set DB_PREPARED_STATEMENTS=0 behind a pooler in
        # transaction mode (PgBouncer < 1.21).
        _prepared = env_bool("DB_PREPARED_STATEMENTS", default=True)
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["server_side_binding"] = _prepared
        _options["prepare_threshold"] = 5 if _prepared else None
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "motcua.sqlite3",
            "OPTIONS": {
                # Writers queue instead of failing, and a transaction takes the
                # write lock at BEGIN, which serialises concurrent actions.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels, cache, Celery ------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis waits for messages with a 5 s blocking read;
                # redis-py 8 defaults to a 5 s socket timeout, which killed
                # every socket idle for 5 s (caught by test_cross_process).
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}
                ],
                "prefix": "motcua",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "motcua",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"

# --- Auth ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Login throttling (django-axes, in the database: works with Redis down) ----------
AUTHENTICATION_BACKENDS = [
    "config.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
#: Locked out after 10 failures for one username or from one address…
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
#: …for 15 minutes (each further failure during the lockout restarts it).
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.security.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "config.security.axes_lockout_response"
AXES_VERBOSE = False

# --- Language and time --------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# dd/mm/yyyy and dd/mm/yyyy hh:mm for Vietnamese (config/formats/vi).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# The ASGI app serves static files itself unless a proxy does (SERVE_STATIC=0).
SERVE_STATIC = env_bool("SERVE_STATIC", default=True)

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # NFC text, no NUL, JSON nested at most 64 deep (config.input).
    "DEFAULT_PARSER_CLASSES": [
        "config.input.SafeJSONParser",
        "config.input.SafeFormParser",
        "config.input.SafeMultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "motcua API",
    "DESCRIPTION": (
        "Hệ thống theo dõi hồ sơ thủ tục hành chính một cửa cấp xã "
        "(Nghị định 118/2025/NĐ-CP). Xác thực: `Authorization: Token <token>` "
        "lấy từ `POST /api/v1/auth/token/`, hoặc phiên đăng nhập."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc served by the product (no CDN: centres' networks are unreliable).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents 400/404/429 (and 401/403 when authenticated).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.document_refusals",
    ],
}

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "motcua@localhost")

# --- SMS -----------------------------------------------------------------------------
# Empty URL: the console gateway (messages are printed). Otherwise an HTTP
# gateway receiving POST {"to", "text"} with "Authorization: Bearer <token>".
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
# Fold Vietnamese to ASCII (đ→d, ộ→o…) for gateways that only send GSM-7.
SMS_ASCII = env_bool("SMS_ASCII", default=False)
SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "5"))
# How often an officer's socket re-reads the outbox. Unset: every 5 s with the
# in-memory channel layer (the sweep runs in another process and cannot push
# to it), never with Redis (pushes arrive through the layer).
_poll = os.environ.get("NOTIFICATIONS_POLL_SECONDS", "")
NOTIFICATIONS_POLL_SECONDS = float(_poll) if _poll else None

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "config.log.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers would print every line a second time (DEBUG)
        # or mail it: everything goes once, to the root handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # Each login attempt is in axes' own tables; its INFO lines are noise.
        "axes": {"level": "WARNING"},
    },
}

# --- motcua -----------------------------------------------------------------------------
MOTCUA = {
    # Public base URL used in QR codes and messages (no trailing slash).
    "PUBLIC_URL": os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{PORT}"),
}

# --- History keys and anchors (workflows.services.history_keys, .anchors) ---------------
# Unset keys are read from var/ files created on first use: fine for `make run`;
# with a real database the motcua.W001/W002 checks warn (errors E001/E002 with
# config.settings_production) unless DEBUG or MOTCUA_DEV=1 (workflows/checks.py).
#: HMAC key chaining a mac through the dossier history (hex or base64, >= 32 bytes).
HISTORY_KEY = os.environ.get("HISTORY_KEY", "")
#: Earlier history keys, accepted when verifying after a rotation (comma-separated).
HISTORY_KEYS = env_list("HISTORY_KEYS", [])
HISTORY_KEY_FILE = VAR_DIR / "history_key"
#: Ed25519 key signing the anchors (PEM, or hex or base64 of the 32 raw bytes).
HISTORY_SIGNING_KEY = os.environ.get("HISTORY_SIGNING_KEY", "")
HISTORY_SIGNING_KEY_FILE = VAR_DIR / "history_signing_key"
#: Where the signed anchors go: outside the database, ideally a disk it cannot reach.
HISTORY_ANCHOR_DIR = Path(os.environ.get("HISTORY_ANCHOR_DIR", VAR_DIR / "anchors"))
#: The sweep writes an anchor every N seconds (0: never; `manage.py history_anchor` still does).
HISTORY_ANCHOR_EVERY = float(os.environ.get("HISTORY_ANCHOR_EVERY", "3600"))
