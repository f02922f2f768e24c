"""Settings of the AMD network portal, read from the environment (see .env.example).

Defaults make `make run` work on a bare machine: an embedded SQLite file under var/ and Celery
tasks run in-process. Production, docker-compose and the test suite set DATABASE_URL and
REDIS_URL (PostgreSQL and Redis). PORTAL_ENV=production switches on the hardened settings.
"""

import os
from pathlib import Path

import environ
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PORTAL_ENV = env.str("PORTAL_ENV", default="development")
PRODUCTION = PORTAL_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuv"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET_KEY)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY doit être défini en production.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The portal's public address: e-mail links, calendar files and every URI of the DCAT catalogue
# (identifiers data.gouv.fr keeps). A production that forgot it would publish localhost.
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000")
if not SITE_URL.startswith(("http://", "https://")):
    raise environ.ImproperlyConfigured(
        "SITE_URL doit être défini en production : l'adresse publique du portail, par exemple "
        "https://portail-amd.numerique.gouv.fr (liens des courriels, identifiants du catalogue "
        "DCAT)."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "widget_tweaks",
    "dsfr",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "administrators",
    "datasets",
    "guides",
    "trainings",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "network_portal.urls"
WSGI_APPLICATION = "network_portal.wsgi.application"

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
                "core.context_processors.portal",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["core.auth_backends.EmailBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins: after LOGIN_MAX_FAILURES within LOGIN_LOCK_SECONDS for one e-mail or one IP,
# further attempts are refused until the window ends (counters live in the shared cache).
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_LOCK_SECONDS = env.int("LOGIN_LOCK_SECONDS", default=900)
# Per client address the limit is higher: agents of one ministry may share an outgoing proxy.
LOGIN_MAX_FAILURES_PER_IP = env.int("LOGIN_MAX_FAILURES_PER_IP", default=50)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Database sessions read with one written-out statement (core/sessions.py).
SESSION_ENGINE = "core.sessions"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Each URL computed once per process (core/staticfiles.py).
        "BACKEND": "core.staticfiles.ManifestStorage"
        if PRODUCTION
        else "core.staticfiles.StaticStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

# Redis: broker, result backend and shared cache. Without it, tasks run in-process and the
# cache is local memory (fine for one process, which is what `make run` starts).
# Inventory pages run one query on a second database connection while the page is built
# (core/side_connection.py); false: every query on the request's own connection.
PARALLEL_QUERIES = env.bool("PARALLEL_QUERIES", default=True)

REDIS_URL = env.str("REDIS_URL", default="")
# The test suite runs in parallel (pytest-xdist): each worker has its own PostgreSQL test
# database (pytest-django) and here its own Redis database, so that one worker's cache flush,
# throttling counters or Celery queue never reach another's.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _XDIST_WORKER.startswith("gw"):
    _base, _, _db = REDIS_URL.rpartition("/")
    if _db.isdigit():
        REDIS_URL = f"{_base}/{(int(_db) + int(_XDIST_WORKER[2:])) % 16}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="reseau-amd@numerique.gouv.fr")

# The pages every public website must have (core/views_legal.py). CONTACT_EMAIL answers the
# public (accessibility statement, legal notice, personal data); DPO_EMAIL is the data protection
# officer's address (unset: the notice sends requests to CONTACT_EMAIL and names no DPO address);
# HOSTING_PROVIDER names the host, its address and telephone (unset: the legal notice says the
# host is set at deployment); PUBLICATION_DIRECTOR names the director of publication (unset: the
# role, « directeur interministériel du numérique »); SOURCE_CODE_URL links the public repository.
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="reseau-amd@numerique.gouv.fr")
DPO_EMAIL = env.str("DPO_EMAIL", default="")
HOSTING_PROVIDER = env.str("HOSTING_PROVIDER", default="", multiline=True)
PUBLICATION_DIRECTOR = env.str("PUBLICATION_DIRECTOR", default="")
SOURCE_CODE_URL = env.str("SOURCE_CODE_URL", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.HashedTokenAuthentication",
        "core.authentication.PortalSessionAuthentication",
    ],
    # DRF's JSON and multipart parsers, their errors in French (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.PortalJSONParser",
        "rest_framework.parsers.FormParser",
        "core.parsers.PortalMultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsAuthenticatedWithTokenScope"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PortalPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "core.throttling.TokenRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="60/min"),
        "token": env.str("API_TOKEN_RATE", default="600/min"),
    },
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Reverse proxies in front of the portal: the client address is read from X-Forwarded-For
    # (API throttles and login throttling). Unset: REMOTE_ADDR (0, not DRF's None, which would
    # trust whatever X-Forwarded-For the client sends and let it dodge the throttles).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API du portail du réseau des administrateurs ministériels des données",
    "DESCRIPTION": "API REST v1 : réseau, inventaire, supervision, formations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` field with its own choices: name each set in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AssessmentStatusEnum": "datasets.models.OpenByDefaultAssessment.Status",
        "ReferenceDesignationStatusEnum": "datasets.models.ReferenceDataDesignation.Status",
        "RoadmapStatusEnum": "supervision.models.Roadmap.Status",
        "ActionStatusEnum": "supervision.models.ActionStatus",
        "MeetingStatusEnum": "supervision.models.Meeting.Status",
        "AttendanceStatusEnum": "supervision.models.Attendance.Status",
        "MinutesStatusEnum": "supervision.models.Minutes.Status",
        "ActionItemStatusEnum": "supervision.models.ActionItem.Status",
        "TrainingSessionStatusEnum": "trainings.models.TrainingSession.Status",
        "RegistrationStatusEnum": "trainings.models.Registration.Status",
        "GuideVersionStatusEnum": "guides.models.GuideVersion.Status",
    },
}

# Content Security Policy: everything is served by the portal itself (no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Same policy in development, tests and production: inline scripts need the nonce
        # (`{% dsfr_js nonce=request.csp_nonce %}`), so the browser tests catch what CSP blocks.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The container health check calls /sante/ over plain HTTP from inside the container.
    SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True

DSFR_USE_INTEGRITY_CHECKSUMS = True
# Mark optional fields rather than required ones, as the current DSFR guidance recommends.
DSFR_MARK_OPTIONAL_FIELDS = True
# django-dsfr marks component content (tables, alerts, accordions…) as safe HTML unless told
# otherwise; user text must always be escaped.
DSFR_CONTENT_IS_SAFE = False

# Shared data of the repository's sibling folder (real public data used for seeds and demos).
SHARED_DATA_DIR = Path(env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))

# Uploaded import files are stored in the database (ImportJob.payload) so that web and worker
# processes on different machines see the same bytes; this caps what a single upload may weigh.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploads analysed but never confirmed keep their file this many days (datasets.tasks, and the
# privacy page says it).
STALE_IMPORT_DAYS = 7

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level is on the handler too: records of Django's own loggers (django.request's 4xx
    # warnings) reach it by propagation, which the root logger's level does not filter.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

if not PRODUCTION:
    # whitenoise serves from the finders in development; the folder only has to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
