"""One settings module, configured from the environment.

XIETONG_ENV=production turns on the deployment checks: SECRET_KEY must come
from the environment, DEBUG is off, cookies are secure. Everything else has a
development default that needs no other service (SQLite under var/).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("XIETONG_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no setting. A typo is an error at start-up, never a silent "no"."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and
    Kubernetes secrets, systemd credentials). Setting both is an error."""
    value, path = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if value is not None and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return value if value is not None else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


XIETONG_ENV = os.environ.get("XIETONG_ENV", "development")
PRODUCTION = XIETONG_ENV == "production"
DEBUG = env_bool("XIETONG_DEBUG", not PRODUCTION)
# Demo data (and its documented passwords) may only be loaded when this is on.
XIETONG_DEMO = env_bool("XIETONG_DEMO", False)


def _dev_secret(name: str, filename: str) -> str:
    """A secret from the environment; in development, one random value per
    checkout kept out of git under var/ (readable by its owner only)."""
    value = env_secret(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set in the environment in production.")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = env_secret("XIETONG_SECRET_KEY") or _dev_secret("SECRET_KEY", "secret_key")

# The audit trail (KER-4): every event's hash and every seal is an HMAC with
# this key, which is never stored in the database; each seal is also written
# to the anchor folder, which the database cannot rewrite (another volume, a
# WORM bucket mounted as a folder). See docs/kernel.md, "What the audit trail
# proves". Development: a key and a folder under var/. Production: set both
# (`check --deploy` warns while either is missing).
XIETONG_AUDIT_KEY = env_secret("XIETONG_AUDIT_KEY") or ("" if PRODUCTION else _dev_secret("XIETONG_AUDIT_KEY",
                                                                                          "audit_key"))
XIETONG_AUDIT_ANCHOR_DIR = os.environ.get("XIETONG_AUDIT_ANCHOR_DIR") or ("" if PRODUCTION else
                                                                          str(VAR_DIR / "audit-anchors"))
ALLOWED_HOSTS = env_list("XIETONG_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("XIETONG_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "axes",
    "django_tasks_db",
    # The kernel, bottom layer first (docs/architecture.md), then the modules.
    "xietong.platform",
    "xietong.audit",
    "xietong.org",
    "xietong.policy",
    "xietong.work",
    "xietong.approvals",
    "xietong.duties",
    "xietong.requests",
    "xietong.service",
    # After the modules whose clauses it shows (its demo computes their days).
    "xietong.compliance",
    "xietong.accounts",
    "xietong.web",
]

MIDDLEWARE = [
    # First: a database outage anywhere below is a 503 page or JSON error.
    "xietong.web.errors.ResilienceMiddleware",
    # One memo per request: the policy's token, delegations at one moment (xietong/memo.py).
    "xietong.memo.ScopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a typed value: a NUL in a field is a 400, never a database error.
    "xietong.web.errors.InputGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xietong.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the final response of a failed sign-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xietong.urls"
WSGI_APPLICATION = "xietong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xietong.web.context.shell",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_secret("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xietong.sqlite3'}"),
        conn_max_age=env_int("XIETONG_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# SUP-5: read-only mode (a failure being handled, a migration of the data):
# everything can be read, nothing written; every write answers 503 with a page
# that says so, and every page shows a banner.
XIETONG_READ_ONLY = env_bool("XIETONG_READ_ONLY", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL (readers beside the one writer) is a property of the file, set
        # once by `xietong setup` (policy.apps, after migrate): setting it on
        # every connection fails every request, reads too, on a read-only
        # data folder. IMMEDIATE takes the write lock at BEGIN so two writers
        # queue instead of failing half-way; a writer that waits longer than
        # `timeout` seconds gets a 503 with Retry-After (web.errors).
        "init_command": "PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("XIETONG_SQLITE_LOCK_WAIT_SECONDS", 10),
    }
    # Tests use a file, not memory, so that a worker in another process (the
    # kill-mid-delivery test) sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-xietong.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _sqlite_file = str(DATABASES["default"]["NAME"])
    # The database holds everyone's personal data: readable by its owner only.
    # SQLite creates its -wal and -shm files with the same permissions.
    for _db_file in (Path(_sqlite_file), Path(DATABASES["default"]["TEST"]["NAME"])):
        try:
            os.close(os.open(_db_file, os.O_WRONLY | os.O_CREAT, 0o600))
            if _db_file.stat().st_mode & 0o077:
                _db_file.chmod(0o600)
        except OSError:
            pass  # a read-only data folder: the server still starts and answers 503 to writes
    if XIETONG_READ_ONLY:
        # SQLite opens the file read-only (Django passes uri=True).
        DATABASES["default"]["NAME"] = f"file:{_sqlite_file}?mode=ro"
else:
    # PostgreSQL: parameters sent apart from the statement (psycopg's server-side
    # binding), so a statement run five times on a connection is prepared and
    # planned no more (planning the joined reads took longer than running them).
    # Off for a pooler that cannot keep prepared statements (PgBouncer < 1.21 in
    # transaction mode).
    if env_bool("XIETONG_DB_PREPARED", True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    if XIETONG_READ_ONLY:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c default_transaction_read_only=on"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (KER-3, KER-5): Django's tasks API, stored by django-tasks-db
# and run by `xietong worker`. XIETONG_TASKS=immediate runs them inline.
TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "dummy": "django.tasks.backends.dummy.DummyBackend",
}
if os.environ.get("XIETONG_TASKS", "db") not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"XIETONG_TASKS must be one of {', '.join(TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[os.environ.get("XIETONG_TASKS", "db")], "QUEUES": ["default"]}}
# Absolute links in e-mail and robot messages.
XIETONG_BASE_URL = os.environ.get("XIETONG_BASE_URL", "http://127.0.0.1:8000")
# A class with send(*, phone, text, key) for urgent SMS/voice (KER-5).
XIETONG_SMS_SENDER = os.environ.get("XIETONG_SMS_SENDER", "xietong.work.delivery.LoggingSmsSender")
XIETONG_DELIVERY_LEASE_SECONDS = env_int("XIETONG_DELIVERY_LEASE_SECONDS", 120)
XIETONG_DELIVERY_MAX_ATTEMPTS = env_int("XIETONG_DELIVERY_MAX_ATTEMPTS", 8)
# Uploaded files (KER-6): shared storage when several app servers run.
MEDIA_ROOT = Path(os.environ.get("XIETONG_MEDIA_ROOT") or VAR_DIR / "media")
# Attachments (KER-6): the largest file accepted.
XIETONG_MAX_UPLOAD_BYTES = env_int("XIETONG_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
AUTH_USER_MODEL = "org.Person"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the signed-in person by a prepared statement. A session
    # signed in through Django's ModelBackend (before 2026-12) asks to sign in again.
    "xietong.accounts.backends.PersonBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# The client's address (rate limits, lockout, audit): REMOTE_ADDR, or — behind
# XIETONG_TRUSTED_PROXIES reverse proxies (TLS terminators, load balancers) —
# the address the nearest trusted proxy saw, from X-Forwarded-For.
XIETONG_TRUSTED_PROXIES = env_int("XIETONG_TRUSTED_PROXIES", 0)
# Sign-in throttling (INT-3): lock a username+address pair after repeated
# failures, and a username from every address after more.
AXES_FAILURE_LIMIT = env_int("XIETONG_LOGIN_FAILURE_LIMIT", 5)
XIETONG_LOGIN_USER_FAILURE_LIMIT = env_int("XIETONG_LOGIN_USER_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = float(os.environ.get("XIETONG_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "xietong.accounts.throttle.UserAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "xietong.client.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLE_ADMIN = False

# Single sign-on through OpenID Connect, off unless configured (INT-3).
OIDC_ENABLED = bool(os.environ.get("OIDC_RP_CLIENT_ID"))
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("xietong.accounts.oidc.XietongOIDCBackend")
    OIDC_RP_CLIENT_ID = os.environ["OIDC_RP_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = env_secret("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
    # Accounts are provisioned by HR (ORG-2); SSO only signs existing people in.
    OIDC_CREATE_USER = env_bool("OIDC_CREATE_USER", False)
    # The provider's issuer: with the subject, what an account is bound to.
    OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "xietong" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("XIETONG_STATIC_ROOT", VAR_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# ECharts comes from npm (package.json pins it); only its dist/ is served.
# Covering indexes (INCLUDE) are PostgreSQL-only; SQLite uses the key columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

STATICFILES_DIRS = [("echarts", BASE_DIR / "node_modules" / "echarts" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# E-mail (Django 6.1 MAILERS): SMTP in production or when EMAIL_HOST is set
# (default: a local MTA on localhost:25); printed to the console in development.
if PRODUCTION or os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": env_secret("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "xietong@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Django's database sessions, read by a prepared statement (accounts/sessions.py).
SESSION_ENGINE = "xietong.accounts.sessions"
SESSION_COOKIE_AGE = env_int("XIETONG_SESSION_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "xietong.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("XIETONG_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("XIETONG_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("XIETONG_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("XIETONG_LOG_LEVEL", "INFO")},
    # django-tasks-db says "Starting worker" at every poll of `xietong worker`.
    "loggers": {"axes": {"level": "WARNING"}, "django_tasks_db": {"level": "WARNING"},
                "django.tasks": {"level": "WARNING"}},
}
