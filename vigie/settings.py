"""Django settings, built from the validated deployment config (vigie/config.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from vigie import config

CONFIG = config.load()
BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
DATA_DIR: Path = CONFIG["DATA_DIR"]


def _secret_key() -> str:
    if CONFIG["SECRET_KEY"]:
        return str(CONFIG["SECRET_KEY"])
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = CONFIG["DEBUG"]
ALLOWED_HOSTS = CONFIG["ALLOWED_HOSTS"] + ["testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "vigie.core",
    "vigie.audit",
    "vigie.tenancy",
    "vigie.inventory",
    "vigie.recording",
    "vigie.servicedesk",
    "vigie.supervision",
    "vigie.evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vigie.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vigie.core.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vigie.urls"
WSGI_APPLICATION = "vigie.wsgi.application"

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
            ],
        },
    },
]

# SQLite: several processes (web, recorder, workers) and the web's threads write at
# once. WAL lets readers go on; IMMEDIATE makes a transaction take the write lock when it
# begins, so that one that reads then writes (the journal's hash chain) waits its turn
# (up to the timeout) instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL;",
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
}
if CONFIG["DATABASE_URL"]:
    DATABASES = {"default": dj_database_url.parse(CONFIG["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "vigie.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Shared by every worker process (login throttling, vigie/core/throttle.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# Front-end libraries come from the npm registry at set-up (see Makefile), never from the repo.
NODE_MODULES = REPO_DIR / "node_modules"
if NODE_MODULES.is_dir():
    STATICFILES_DIRS.append(("vendor", NODE_MODULES))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "vigie.core.staticfiles.GzipStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": CONFIG["PAGE_SIZE"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "vigie.core.api.exception_handler",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigie API",
    "DESCRIPTION": "Members, inventory and operations of a shared supervision centre.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The API browser's assets come from PyPI (no CDN: the centre's network is closed).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a "status", "state" or "kind": each choice set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "vigie.servicedesk.models.Status",
        "TicketKindEnum": "vigie.servicedesk.models.Kind",
        "ImpactEnum": "vigie.servicedesk.models.Impact",
        "UrgencyEnum": "vigie.servicedesk.models.Urgency",
        "RequisitionStatusEnum": "vigie.evidence.workflow.Status",
        "ExportJobStatusEnum": "vigie.evidence.models.JobStatus",
        "SubjectRequestStatusEnum": "vigie.audit.models.SubjectRequestStatus",
        "SubjectRequestKindEnum": "vigie.audit.models.SubjectRequestKind",
        "HealthStateEnum": "vigie.supervision.models.HealthState",
        "IngestStateEnum": "vigie.recording.models.IngestState",
        "MemberKindEnum": "vigie.tenancy.models.MemberKind",
        "CameraStatusEnum": "vigie.inventory.choices.CameraStatus",
    },
}

VIGIE_PAGE_SIZE = CONFIG["PAGE_SIZE"]
VIGIE_BIND = CONFIG["BIND"]
VIGIE_METRICS_TOKEN = CONFIG["METRICS_TOKEN"]
VIGIE_TICKET_AFTER_S = CONFIG["TICKET_AFTER_S"]
VIGIE_REQUISITION_DEADLINE_DAYS = CONFIG["REQUISITION_DEADLINE_DAYS"]
VIGIE_SERVICEDESK_BASE_URL = CONFIG["BASE_URL"]
VIGIE_SERVICEDESK_ESCALATION = {2: CONFIG["ESCALATION_L2"], 3: CONFIG["ESCALATION_L3"]}

DEFAULT_FROM_EMAIL = SERVER_EMAIL = CONFIG["EMAIL_FROM"]
if CONFIG["EMAIL_HOST"]:
    EMAIL_HOST = CONFIG["EMAIL_HOST"]
    EMAIL_PORT = CONFIG["EMAIL_PORT"]
else:
    # No mail server configured (the demo): each e-mail is a file one can read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": CONFIG["LOG_LEVEL"]},
}
