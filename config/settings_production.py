"""Production settings: refuse to start without what production needs.

Use with ``DJANGO_SETTINGS_MODULE=config.settings_production``.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_REQUIRED = {
    "SECRET_KEY": "a long random string, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(50))'`",
    "DATABASE_URL": "postgres://USER:PASSWORD@HOST:5432/NAME",
    "REDIS_URL": "redis://HOST:6379/0 (channel layer and Celery broker shared by every worker)",
}
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: "
        + "; ".join(f"{name} missing ({_REQUIRED[name]})" for name in _missing)
    )

from config.settings import *  # noqa: E402

DEBUG = env_bool("DEBUG", default=False)
#: The history keys must come from the environment (system check motcua.E001/E002).
MOTCUA_PRODUCTION = True
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured(
        "Production settings need ALLOWED_HOSTS (comma-separated host names) missing"
    )
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CELERY_TASK_ALWAYS_EAGER = False
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
