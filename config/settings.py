"""PeerLearn settings: every knob is an environment variable with a safe local default.

The configuration table in README.md lists them all; keep the two in step.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from peerlearn.common.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_email_url,
    parse_storage_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PEERLEARN_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # local state: SQLite file, media, dev mail

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Passkeys (WebAuthn) need a host name, not an IP address: local mode uses localhost.
# `make run PORT=8101` exports PORT, so links in emails and feeds follow the port in use.
SITE_URL = env_str("SITE_URL", f"http://localhost:{env_int('PORT', 8000)}").rstrip("/")
SITE_ID = 1  # its name and domain come from SITE_NAME / SITE_URL (accounts migration 0003)
SITE_NAME = env_str("SITE_NAME", "PeerLearn")

INSTALLED_APPS = [
    "config.adminsite.PeerLearnAdminConfig",  # django.contrib.admin, our landing
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "django.contrib.postgres",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.socialaccount",
    "allauth.usersessions",
    "django_tasks_db",
    "ninja",
    "peerlearn.common",
    "peerlearn.accounts",
    "peerlearn.notifications",
    "peerlearn.scheduling",
    "peerlearn.live",
    "peerlearn.practice",
    "peerlearn.reviews",
    "peerlearn.gamification",
    "peerlearn.forum",
    "peerlearn.guide",
    "peerlearn.messaging",
    "peerlearn.matching",
    "peerlearn.matching.help",
    "peerlearn.matching.partners",
    "lti_tool",  # django-lti: registrations, deployments, keys, contexts (LTI 1.3)
    "peerlearn.lti",
    "peerlearn.analytics",
]

MIDDLEWARE = [
    "peerlearn.common.middleware.HealthCheckMiddleware",  # first: see its docstring
    "peerlearn.common.metrics.MetricsMiddleware",  # times everything below (not /healthz)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "peerlearn.accounts.middleware.UserTimezoneMiddleware",
    "peerlearn.common.middleware.ServiceErrorMiddleware",  # last: sees views' errors first
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peerlearn.common.context_processors.navigation",
                "peerlearn.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peerlearn.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES:
    # PostgreSQL's JIT compiles a query whose estimated cost is high (tutor search's ranked
    # full-text query at 100k tutors) for ~1.5 s to save milliseconds: off for web requests.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c random_page_cost=1.1"
    if env_bool("DB_TRANSACTION_POOLER", default=False):
        # Behind PgBouncer in transaction mode (docs/deployment.md): a server connection is
        # shared between transactions, so no server-side cursors and no startup options (set
        # them on the role instead: ALTER ROLE peerlearn SET jit = off, ...).
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        del DATABASES["default"]["OPTIONS"]["options"]
    # A psycopg connection pool per process (DB_POOL_MAX=0 turns it off): no request opens a
    # connection. Size it to the process's threads; deploy/prod.py and the systemd units do, and
    # docs/deployment.md has the formula that keeps the whole topology under max_connections.
    DB_POOL_MAX = env_int("DB_POOL_MAX", 4)
    if DB_POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not Django
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(env_int("DB_POOL_MIN", 1), DB_POOL_MAX),
            "max_size": DB_POOL_MAX,
            "timeout": env_int("DB_POOL_TIMEOUT", 10),  # seconds a request waits for a connection
        }

# --- cache, channels ------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "peerlearn.common.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis (one round trip) and written through to the database, so
    # losing Redis signs no one out. Only with a cache every process shares: a per-process cache
    # would keep serving a session another process ended (logout, password change).
    SESSION_ENGINE = "peerlearn.common.sessions"
    # pubsub (default): one PUBLISH per group send, no per-channel capacity, and a dead
    # process's subscriptions end with its connection. "core": Redis lists per channel, with a
    # capacity per process-wide key (set high here) and groups that expire after a day.
    # Measured against each other in bench/ws.py; see docs/performance.md.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
        if env_str("CHANNEL_LAYER", "pubsub") == "pubsub"
        else {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 10_000, "expiry": 60},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "peerlearn.accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PeerLearn] "
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins per account, and per address (known browsers skip the latter: see
    # peerlearn/accounts/loginlimits.py).
    "login_failed": "5/5m/key",
    "login_failed_ip": "10/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "PeerLearn"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

HEADLESS_ONLY = False
HEADLESS_TOKEN_STRATEGY = "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy"
HEADLESS_JWT_ALGORITHM = "HS256" if not env_str("JWT_PRIVATE_KEY") else "RS256"
HEADLESS_JWT_PRIVATE_KEY = env_str("JWT_PRIVATE_KEY").replace("\\n", "\n")
HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = env_int("JWT_ACCESS_TTL_SECONDS", 300)
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN = env_int("JWT_REFRESH_TTL_SECONDS", 14 * 86400)
HEADLESS_JWT_ROTATE_REFRESH_TOKEN = True
HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED = True
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": f"{SITE_URL}/accounts/confirm-email/{{key}}/",
    "account_reset_password_from_key": f"{SITE_URL}/accounts/password/reset/key/{{key}}/",
    "account_signup": f"{SITE_URL}/accounts/signup/",
}

# Social login is optional: a provider appears only when its client id is configured.
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
if env_str("GOOGLE_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [
            {"client_id": env_str("GOOGLE_CLIENT_ID"), "secret": env_str("GOOGLE_CLIENT_SECRET")}
        ],
        "SCOPE": ["profile", "email"],
    }
if env_str("MICROSOFT_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.microsoft")
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": env_str("MICROSOFT_CLIENT_ID"),
                "secret": env_str("MICROSOFT_CLIENT_SECRET"),
            }
        ],
    }

# --- email ----------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", f"file:{VAR_DIR / 'mail'}")
_email = parse_email_url(EMAIL_URL)
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_FILE_PATH = _email.file_path
EMAIL_TIMEOUT = 15
# Account operations (docs/operations.md): where suspended people appeal, how long a data
# export stays downloadable, how long a deletion can be undone.
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@peerlearn.local")
DATA_EXPORT_TTL_HOURS = env_int("DATA_EXPORT_TTL_HOURS", 72)
ACCOUNT_DELETION_GRACE_DAYS = env_int("ACCOUNT_DELETION_GRACE_DAYS", 14)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PeerLearn <no-reply@peerlearn.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env_str("SMS_BACKEND", "console")

# --- practice -------------------------------------------------------------------------------
PRACTICE_SUBMISSIONS_PER_MINUTE = env_int("PRACTICE_SUBMISSIONS_PER_MINUTE", 12)

# --- LTI 1.3 (docs/lti.md) ------------------------------------------------------------------
# Seconds of clock difference allowed between a platform and us on a launch's exp/iat.
LTI_CLOCK_SKEW_SECONDS = env_int("LTI_CLOCK_SKEW_SECONDS", 60)
# Attempts to send one score to a platform's gradebook before giving up (backoff between).
LTI_SCORE_ATTEMPTS = env_int("LTI_SCORE_ATTEMPTS", 5)
# OIDC logins and launches per client address and minute (each may fetch a platform's keys).
LTI_LAUNCHES_PER_MINUTE = env_int("LTI_LAUNCHES_PER_MINUTE", 60)
PRACTICE_PASSWORD_ATTEMPTS = env_int("PRACTICE_PASSWORD_ATTEMPTS", 5)  # per person, 15 minutes
PRACTICE_MAX_OPEN_SESSIONS = env_int("PRACTICE_MAX_OPEN_SESSIONS", 3)
PRACTICE_LOBBY_HOURS = env_int("PRACTICE_LOBBY_HOURS", 2)  # unjoined sessions leave the lobby
# A pair session nobody has been present in for this long is ended (end_abandoned_practice).
PRACTICE_ABANDONED_MINUTES = env_int("PRACTICE_ABANDONED_MINUTES", 10)

# --- points and badges ----------------------------------------------------------------------
GAMIFICATION_PAIR_WEEKLY_CAP = env_int("GAMIFICATION_PAIR_WEEKLY_CAP", 3)  # sessions per pair
GAMIFICATION_MIN_SESSION_MINUTES = env_int("GAMIFICATION_MIN_SESSION_MINUTES", 20)

# --- discussions ------------------------------------------------------------------------------
FORUM_EDIT_WINDOW_MINUTES = env_int("FORUM_EDIT_WINDOW_MINUTES", 30)
FORUM_THREAD_LIMIT = env_int("FORUM_THREAD_LIMIT", 10)  # new threads per person per window
FORUM_THREAD_WINDOW_SECONDS = env_int("FORUM_THREAD_WINDOW_SECONDS", 3600)
FORUM_REPLY_LIMIT = env_int("FORUM_REPLY_LIMIT", 30)
FORUM_REPLY_WINDOW_SECONDS = env_int("FORUM_REPLY_WINDOW_SECONDS", 600)
FORUM_VOTE_LIMIT = env_int("FORUM_VOTE_LIMIT", 120)
FORUM_VOTE_WINDOW_SECONDS = env_int("FORUM_VOTE_WINDOW_SECONDS", 3600)
FORUM_FLAG_LIMIT = env_int("FORUM_FLAG_LIMIT", 20)
FORUM_FLAG_WINDOW_SECONDS = env_int("FORUM_FLAG_WINDOW_SECONDS", 86400)

# --- messages -----------------------------------------------------------------------------------
MESSAGE_MAX_ATTACHMENT_BYTES = env_int("MESSAGE_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)

# --- matching -------------------------------------------------------------------------------
# The tutor search counts at most this many results ("1,000+"), so a broad query never counts
# every tutor; the pages stop there too.
SEARCH_COUNT_CAP = env_int("SEARCH_COUNT_CAP", 1000)
# Recommendations: the web servers load or build the tutor index at start (config/warmup.py,
# with the URLconf; WARM_UP=0 turns that off, e.g. for WebSocket-only processes); built indexes
# are kept in this folder (empty: off), keyed by the database and its fingerprint, so a new
# process loads one in milliseconds instead of building it.
WARM_UP = env_bool("WARM_UP", default=True)
MATCHING_INDEX_DIR = env_str("MATCHING_INDEX_DIR", str(VAR_DIR / "matching-index"))
HELP_REQUEST_OFFER_COUNT = env_int("HELP_REQUEST_OFFER_COUNT", 3)  # tutors asked per round
HELP_REQUEST_OFFER_TIMEOUT_MINUTES = env_int("HELP_REQUEST_OFFER_TIMEOUT_MINUTES", 15)
HELP_REQUEST_MAX_ROUNDS = env_int("HELP_REQUEST_MAX_ROUNDS", 3)
# Practice partners: the Elo K-factor (the most one judged Submit moves a topic rating); the
# rating window, ±BASE at first, +STEP every STEP_SECONDS of waiting, at most ±MAX; unmatched
# queue entries expire after TTL; the expected wait is the median of RECENT_WAITS recent waits.
PRACTICE_RATING_K = env_int("PRACTICE_RATING_K", 32)
PARTNERS_WINDOW_BASE = env_int("PARTNERS_WINDOW_BASE", 100)
PARTNERS_WINDOW_STEP = env_int("PARTNERS_WINDOW_STEP", 50)
PARTNERS_WINDOW_STEP_SECONDS = env_int("PARTNERS_WINDOW_STEP_SECONDS", 15)
PARTNERS_WINDOW_MAX = env_int("PARTNERS_WINDOW_MAX", 400)
PARTNERS_QUEUE_TTL_SECONDS = env_int("PARTNERS_QUEUE_TTL_SECONDS", 600)
PARTNERS_RECENT_WAITS = env_int("PARTNERS_RECENT_WAITS", 20)

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/monaco", BASE_DIR / "node_modules" / "monaco-editor" / "min"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Verification evidence and other private files live outside both roots and are only ever
# served through permission-checked views.
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
STORAGE_URL = env_str("STORAGE_URL", "file:")
_storage = parse_storage_url(STORAGE_URL, local_root=str(MEDIA_ROOT), local_base_url=MEDIA_URL)
_private = parse_storage_url(
    STORAGE_URL, local_root=str(PRIVATE_MEDIA_ROOT), local_base_url="/private-not-served/"
)
# Public media (avatars) are served by nginx, which runs as another user: world-readable. Private
# files keep FILE_UPLOAD_PERMISSIONS (0o640) and are only ever read by the application.
_public_files = (
    {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755}
    if _storage.backend.endswith("FileSystemStorage")
    else {}
)
STORAGES = {
    "default": {"BACKEND": _storage.backend, "OPTIONS": {**_storage.options, **_public_files}},
    "private": {
        "BACKEND": _private.backend,
        "OPTIONS": {**_private.options, "location": "private"}
        if _private.backend.startswith("storages")
        else _private.options,
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        # Static files are public and read by nginx's own user (uploads stay 0o640 below).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=DEBUG)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- security -------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF, "ws:", "wss:"] if DEBUG else [CSP.SELF, "wss:"],
    "font-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the HTMX/JS helpers read it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Probes and the metrics scraper talk plain HTTP to the process on the box.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 20
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)

# --- real-time (used by the live rooms) ------------------------------------------------------
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env_str("TURN_SECRET")
LIVE_JOIN_EARLY_MINUTES = env_int("LIVE_JOIN_EARLY_MINUTES", 10)
LIVE_JOIN_LATE_MINUTES = env_int("LIVE_JOIN_LATE_MINUTES", 30)

# --- logging --------------------------------------------------------------------------------
# One JSON object per line in production (peerlearn.common.logging), readable prose locally.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "peerlearn.common.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- metrics --------------------------------------------------------------------------------
# /metrics (peerlearn.common.metrics): these addresses, or a bearer token when one is set.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- analytics ------------------------------------------------------------------------------
# The calendar days of the administrators' rollups; the periodic job recomputes today and this
# many days before it (late completions and reviews reach the rollup).
ANALYTICS_TIME_ZONE = env_str("ANALYTICS_TIME_ZONE", "UTC")
ANALYTICS_RECOMPUTE_DAYS = env_int("ANALYTICS_RECOMPUTE_DAYS", 3)

# --- scheduling -----------------------------------------------------------------------------
BOOKING_CANCELLATION_CUTOFF_HOURS = env_int("BOOKING_CANCELLATION_CUTOFF_HOURS", 12)
BOOKING_DEFAULT_REMINDER_MINUTES = [1440, 60]
