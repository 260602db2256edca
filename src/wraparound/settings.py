"""Wraparound settings: 12-factor, read from the environment (see docs/operations.md).

WRAPAROUND_MODE is ``production`` (the default: every secret must be given), ``demo``
(``make demo``: a generated SECRET_KEY kept under var/, DEBUG allowed) or ``test``.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from wraparound.config import (
    encryption_keys,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(env_str("WRAPAROUND_VAR_DIR") or BASE_DIR / "var")

MODE = (env_str("WRAPAROUND_MODE") or "production").strip().lower()
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"WRAPAROUND_MODE must be production, demo or test, not {MODE!r}")
IS_PRODUCTION = MODE == "production"

SECRET_KEY = secret_key(var_dir=VAR_DIR, allow_generated=not IS_PRODUCTION)
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names this site is served on")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "ninja",  # serves the API docs' Swagger UI from our own static files (no CDN)
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "wraparound.core",
    "wraparound.accounts",
    "wraparound.audit",
    "wraparound.consent",
    "wraparound.directory",
    "wraparound.people",
    "wraparound.cases",
    "wraparound.assessments",
    "wraparound.plans",
    "wraparound.crisis",
    "wraparound.eligibility",
    "wraparound.linkage",
    "wraparound.notifications",
    "wraparound.referrals",
    "wraparound.enrolments",
    "wraparound.appointments",
    "wraparound.flags",
    "wraparound.applications",
    "wraparound.documents",
    "wraparound.messaging",
    "wraparound.portal",
    "wraparound.satisfaction",
    "wraparound.analytics",
    "wraparound.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wraparound.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wraparound.portal.middleware.CitizenLocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wraparound.core.middleware.RequestIdMiddleware",
    # Last, as django-axes asks: it turns a lockout into the sign-in page with the message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wraparound.urls"
WSGI_APPLICATION = "wraparound.wsgi.application"

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
                "wraparound.core.context_processors.wraparound",
                "wraparound.portal.navigation.portal",
            ],
            "builtins": [
                "wraparound.core.templatetags.govuk",
                "wraparound.people.templatetags.people",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'wraparound.sqlite3'}"
try:
    _db = dj_database_url.parse(env_str("DATABASE_URL") or _default_sqlite, conn_max_age=60)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["CONN_MAX_AGE"] = 0
    # WAL lets the worker and the web server share the file; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation pays off for analytics, not for request-sized queries: it added
    # 200+ ms to searches whose execution took 14 ms (bench/person_search.py).
    _db.setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// URL")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", default=30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout
SESSION_COOKIE_HTTPONLY = True
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins while a username is locked out from an address (django-axes).
    "wraparound.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Two-factor authentication (TOTP, django-otp): every staff page needs a verified device.
WRAPAROUND_REQUIRE_2FA = env_bool("WRAPAROUND_REQUIRE_2FA", default=IS_PRODUCTION)
OTP_TOTP_ISSUER = env_str("WRAPAROUND_2FA_ISSUER") or "Wraparound"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin can delete a lost device, never show a secret

# Lockout after repeated sign-in failures (django-axes): per username and address.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("WRAPAROUND_SIGN_IN_ATTEMPTS", default=5, minimum=1)
WRAPAROUND_LOCKOUT_MINUTES = env_int("WRAPAROUND_LOCKOUT_MINUTES", default=15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=WRAPAROUND_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "wraparound.accounts.views.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "wraparound.accounts.backends.client_address"
# Behind reverse proxies: how many of them append to X-Forwarded-For. The client's address
# is then read from that header (the entry this many from the right) instead of REMOTE_ADDR.
WRAPAROUND_PROXY_COUNT = env_int("WRAPAROUND_PROXY_COUNT", default=0)

# --- Security headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=IS_PRODUCTION)
# Preloading is a one-way commitment for a whole domain, so it is opt-in.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Powerful browser features the service never uses, switched off for every origin.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg"), ("fr", "Français")]
TIME_ZONE = env_str("TIME_ZONE") or "Europe/London"
USE_I18N = True
# The citizen-facing pages are translated (Welsh, French); one catalogue for all of them.
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
WRAPAROUND_PORTAL_NETWORK = env_str("PORTAL_NETWORK") or ""

# --- Analytics store (ADR 0017) -------------------------------------------------------------
ANALYTICS_DIR = Path(env_str("ANALYTICS_DIR") or VAR_DIR / "analytics")
ANALYTICS_KEY_SECRET = env_str("ANALYTICS_KEY_SECRET") or ""  # default: derived from SECRET_KEY
ANALYTICS_REFRESH_HOURS = env_int("ANALYTICS_REFRESH_HOURS", default=24, minimum=1)
EVALUATION_EXPORT_SECRET = env_str("EVALUATION_EXPORT_SECRET") or ""  # default: from SECRET_KEY
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Uploaded documents, encrypted at rest (see wraparound.core.crypto); never served by URL.
    "documents": {"BACKEND": "wraparound.core.crypto.EncryptedFileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (after collectstatic); as-is for demo/test.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = MODE != "production"
# Outside production the finders serve static files; var/static only exists after collectstatic.
warnings.filterwarnings("ignore", message="No directory at")

# --- Background tasks -------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if MODE == "test"
        else "django_tasks_db.DatabaseBackend"
    }
}

# --- E-mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.locmem.EmailBackend"
    if MODE == "test"
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Wraparound <no-reply@wraparound.invalid>"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

# --- Wraparound -------------------------------------------------------------------------
WRAPAROUND_PAGE_SIZE = env_int("WRAPAROUND_PAGE_SIZE", default=25, minimum=1)
WRAPAROUND_DEFAULT_PHONE_REGION = env_str("WRAPAROUND_DEFAULT_PHONE_REGION") or "GB"

# --- Encryption at rest -------------------------------------------------------------------
# Fernet keys, newest first (the first encrypts, all decrypt); `wraparound rotate_keys`
# re-encrypts everything with the first. Generated once under var/ outside production.
WRAPAROUND_ENCRYPTION_KEYS = encryption_keys(var_dir=VAR_DIR, allow_generated=not IS_PRODUCTION)
WRAPAROUND_DOCUMENTS_DIR = Path(env_str("WRAPAROUND_DOCUMENTS_DIR") or VAR_DIR / "documents")
WRAPAROUND_MAX_UPLOAD_MB = env_int("WRAPAROUND_MAX_UPLOAD_MB", default=10, minimum=1)
# clamd's unix socket: when set, every upload is scanned and infected files are refused.
CLAMD_SOCKET = env_str("CLAMD_SOCKET") or ""
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", default=30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    # axes logs every sign-in at INFO; failures and lockouts are WARNING.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
