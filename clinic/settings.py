"""Settings, all from the environment (README has the table).

Defaults make a fresh checkout run with nothing installed: SQLite in var/, Celery on kombu's
filesystem transport, e-mail written to var/mail/. Production sets DEBUG=false and must then give
a SECRET_KEY; a bad value fails here, at start-up, with ImproperlyConfigured.
"""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A developer's .env is a convenience; real environment variables always win over it.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def _secret(name, default=None):
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from exc
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = _secret("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For local development set DEBUG=true."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "clinic.apps.ClinicAdminConfig",  # django.contrib.admin on clinic.admin_site.ClinicAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_ratelimit",
    "django_celery_beat",
    "clinic",
    "intake",
    "booking",
    "aftercare",
    "treatment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.middleware.PermissionsPolicyMiddleware",
    "clinic.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: the desk's partial page updates
    "django_otp.middleware.OTPMiddleware",
    "clinic.middleware.SessionTimeoutMiddleware",
    "clinic.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clinic.middleware.ClinicTimeZoneMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so a lockout answers before any view runs (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.context_processors.clinic",
                "clinic.context_processors.session",
                "clinic.context_processors.message_flow",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clinic.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, rebuilding tables so that the guards' triggers survive (see its docstring).
    DATABASES["default"]["ENGINE"] = "clinic.db_backends.sqlite3"
    # SQLite cannot hold the exclusion constraints PostgreSQL uses against double booking, so
    # every write transaction starts with BEGIN IMMEDIATE: booking writers are serialised
    # instead of failing with "database is locked" half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # A file, not SQLite's in-memory default, so a real Celery worker process started by the
    # tests sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-clinic.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "clinic.User"
# --- Accounts -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: a locked-out username and address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's, loading the staff row with the user and the permissions in one query (clinic/auth.py).
    "clinic.auth.ClinicBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)

# --- Sessions (HIPAA §164.312(a)(2)(iii): automatic logoff) -------------------------------------
# Idle limits by audience, and one absolute limit for everyone; clinic.middleware enforces them
# and static/js/session-timeout.js warns a minute before.
SESSION_IDLE_MINUTES_STAFF = env.int("SESSION_IDLE_MINUTES_STAFF", default=15)
SESSION_IDLE_MINUTES_PATIENT = env.int("SESSION_IDLE_MINUTES_PATIENT", default=30)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 60 * 60
if not 1 <= SESSION_IDLE_MINUTES_STAFF <= SESSION_MAX_HOURS * 60 or not 1 <= SESSION_IDLE_MINUTES_PATIENT <= SESSION_MAX_HOURS * 60:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES_* must be at least 1 and no longer than SESSION_MAX_HOURS.")

# --- Two-factor sign-in for staff (django-otp) ------------------------------------------------
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Vein clinic")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # device keys never shown in the admin
RECOVERY_CODE_COUNT = 10

# --- Cache: rate limits, lockout counters; Redis in production --------------------------------
# Default: this process's memory (a laptop, the tests). Several web processes must share one
# cache, or each counts its own requests: set CACHE_URL=redis://host:6379/1.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://clinic")}

# --- Login lockout (django-axes) ------------------------------------------------------------
# Locked by e-mail address *and* client address together: a stranger failing on a patient's
# address elsewhere cannot lock the patient out. Failures during a lockout extend it.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "clinic.security.login_username"
AXES_CLIENT_IP_CALLABLE = "clinic.security.client_ip"
AXES_LOCKOUT_CALLABLE = "clinic.security.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # every login is in the audit log (clinic.receivers) instead
AXES_VERBOSE = False

# --- Rate limits (django-ratelimit) ---------------------------------------------------------
# Behind a load balancer the client's address is the TRUSTED_PROXY_COUNT-th from the right in
# X-Forwarded-For; 0 means REMOTE_ADDR (no proxy). Lockout, rate limits and the audit log agree.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "clinic.security.client_ip"
RATELIMIT_VIEW = "clinic.account_views.too_many_requests"
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # One process (a laptop, the tests): its memory is the one cache all its requests share.
    # Production sets CACHE_URL to Redis, where these checks pass on their own.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Time -----------------------------------------------------------------------------------
# Stored in UTC; shown in the clinic's zone. CLINIC_TIME_ZONE seeds the Clinic row, whose own
# time_zone then wins (clinic.middleware activates it per request).
USE_TZ = True
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/Los_Angeles")
try:
    ZoneInfo(CLINIC_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"CLINIC_TIME_ZONE={CLINIC_TIME_ZONE!r} is not a known time zone") from exc
TIME_ZONE = CLINIC_TIME_ZONE
LANGUAGE_CODE = "en-us"
USE_I18N = True

PHONENUMBER_DEFAULT_REGION = env.str("PHONE_REGION", default="US")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Clinical photos and other private files: never under STATIC_ROOT or any served path. The
# filesystem by default (var/private/), or an S3-compatible bucket through django-storages.
# Files are only ever read back through permission-checked, audited views, never by URL.
PRIVATE_STORAGE = env.str("PRIVATE_STORAGE", default="filesystem")
if PRIVATE_STORAGE == "filesystem":
    _private = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(env.path("PRIVATE_FILES_DIR", default=VAR_DIR / "private")),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
elif PRIVATE_STORAGE == "s3":
    _missing = [n for n in ("PRIVATE_S3_BUCKET",) if not env.str(n, default="")]
    if _missing:
        raise ImproperlyConfigured("PRIVATE_STORAGE=s3 needs PRIVATE_S3_BUCKET.")
    _private = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("PRIVATE_S3_BUCKET"),
            "endpoint_url": env.str("PRIVATE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("PRIVATE_S3_REGION", default="") or None,
            "access_key": env.str("PRIVATE_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": _secret("PRIVATE_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("PRIVATE_S3_PREFIX", default="private"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "no-store"},
        },
    }
else:
    raise ImproperlyConfigured(f"PRIVATE_STORAGE={PRIVATE_STORAGE!r}: use filesystem or s3.")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": _private,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ---------------------------------------------------------------------------------
# Default: every message written as a file under var/mail/ (one file per connection).
_email = env.email_url("EMAIL_URL", default="filemail://")
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)  # host, port, user, password, TLS/SSL flags from the URL
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clinic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Reminders --------------------------------------------------------------------------------
# A booking changed again within the grace period sends one message, not two.
REMINDER_GRACE_MINUTES = env.int("REMINDER_GRACE_MINUTES", default=3)
# A row handed to the broker but never picked up (the broker lost it) is handed out again after this.
REMINDER_REQUEUE_MINUTES = env.int("REMINDER_REQUEUE_MINUTES", default=10)
# Longer than the broker's visibility timeout, so a lost task had its chance to be redelivered.
REMINDER_ABANDONED_MINUTES = env.int("REMINDER_ABANDONED_MINUTES", default=90)


def _quiet_hours(value: str):
    from datetime import time

    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"SMS_QUIET_HOURS={value!r} should look like 21:00-08:00") from exc
    return start, end


SMS_QUIET_HOURS = _quiet_hours(env.str("SMS_QUIET_HOURS", default="21:00-08:00"))

# --- Text messages ------------------------------------------------------------------------
# Off the machine only when switched to Twilio; then every Twilio setting is required.
SMS_BACKEND = env.str("SMS_BACKEND", default="clinic.sms.FileSMSBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=VAR_DIR / "sms")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = _secret("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="https://api.twilio.com")
if SMS_BACKEND == "clinic.sms.TwilioSMSBackend":
    _missing = [n for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER") if not globals()[n]]
    if _missing:
        raise ImproperlyConfigured(f"SMS_BACKEND is Twilio but {', '.join(_missing)} is not set.")

# --- Celery ---------------------------------------------------------------------------------
# Default: the embedded broker (clinic/broker.py, files under var/broker/), so a real worker and
# beat run with no broker server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env.str("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "broker")))
    (_queue_dir / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "clinic.broker:Transport"  # kombu's filesystem transport, safe across processes
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
    }
    # Remote control (and with it mingle and gossip) needs broadcast files that every process
    # writes; nothing here uses it, so it stays off on the embedded broker.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # Redis hands a task out again when it was not acknowledged within this many seconds (tasks
    # are acknowledged late, after they ran): far longer than a batch of messages takes. Tasks
    # carry message ids only; the database outbox is the source of truth.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
    if REMINDER_ABANDONED_MINUTES * 60 <= CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
        raise ImproperlyConfigured(
            "REMINDER_ABANDONED_MINUTES must be longer than CELERY_VISIBILITY_TIMEOUT, "
            "or a reminder could be settled while the broker is about to redeliver its task."
        )
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Publishing gives up quickly when the broker is down: the outbox row waits and is handed out again.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# The beat keeps its schedule in the database (django-celery-beat), which exists wherever the site
# runs: `celery -A clinic beat` needs no file and no folder. The schedule itself is in clinic/celery.py.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# A load balancer's health check may come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0)
# Preload when HSTS covers a year and every subdomain (README: why, and when to switch it off).
SECURE_HSTS_PRELOAD = env.bool(
    "SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS >= 31536000 and SECURE_HSTS_INCLUDE_SUBDOMAINS
)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    # Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from our own files, never inline;
# style *attributes* are allowed for computed geometry (a calendar block's top and height).
# Bootstrap's CSS draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Permissions-Policy: no powerful feature anywhere, except what PERMISSIONS_POLICY_BY_PATH opens
# under a path prefix (one line per place, e.g. the camera where treatment photos are taken).
PERMISSIONS_POLICY = {
    feature: []
    for feature in ("accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
                    "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get", "usb",
                    "screen-wake-lock", "xr-spatial-tracking", "browsing-topics")
}
PERMISSIONS_POLICY_BY_PATH = {
    "/treatment/": {"camera": ["self"]},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Signed-link tokens and query strings never reach a log line (clinic.logmask).
    "filters": {"mask_secrets": {"()": "clinic.logmask.MaskSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_secrets"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}, "axes": {"level": "WARNING"},
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
