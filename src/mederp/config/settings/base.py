"""Settings shared by every profile. Everything configurable comes from MEDERP_* variables.

Profiles: `base` (embedded default: SQLite in var/, served over HTTPS by gunicorn),
`production` (strict: refuses to start without explicit secrets and hosts), `test`.
The full list of variables with defaults is in docs/operations/configuration.md.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from mederp.config.env import env_bool, env_int, env_list, env_str, secret_from_file, var_dir

PACKAGE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = var_dir()

DEBUG = env_bool("MEDERP_DEBUG", False)
SECRET_KEY = env_str("MEDERP_SECRET_KEY") or secret_from_file(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("MEDERP_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list(
    "MEDERP_CSRF_TRUSTED_ORIGINS", ["https://127.0.0.1:8443", "https://localhost:8443"]
)
# Proxies whose X-Forwarded-For we believe (IPs or CIDR networks). Empty: believe none.
MEDERP_TRUSTED_PROXIES = env_list("MEDERP_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    # First: its management commands replace Django's unaudited ones (changepassword).
    "mederp.core",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before allauth: our templates (account/login.html, allauth/layouts/base.html) override
    # allauth's, and the first app that has a template wins.
    "mederp.ui",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django.contrib.humanize",  # allauth's WebAuthn and session list templates
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "mederp.identity",
    "mederp.audit",
    "mederp.data",
    "mederp.access",
    "mederp.signatures",
    "mederp.items",
    "mederp.partners",
    "mederp.inventory",
    "mederp.purchasing",
    "mederp.inspection",
    "mederp.api",
]

MIDDLEWARE = [
    "mederp.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mederp.core.middleware.ActorContextMiddleware",
    "mederp.api.middleware.ApiCallAuditMiddleware",
    "mederp.ui.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Absolute session timeout, revoked devices, session rotation at privilege change; then
    # forced MFA enrollment and device binding (device-bound roles).
    "mederp.identity.middleware.SessionPolicyMiddleware",
    "mederp.identity.middleware.MFAEnrollmentMiddleware",
    "mederp.identity.middleware.DeviceBindingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mederp.config.urls"
WSGI_APPLICATION = "mederp.config.wsgi.application"

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
                "mederp.ui.context_processors.shell",
                "mederp.identity.context_processors.security",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("MEDERP_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'mederp.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing with "database is locked" mid-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("MEDERP_DB_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django binds parameters client-side and never prepares its own queries; the audit ledger's
    # append is prepared on its first use on a connection (ADR 0008). Off (Django's default)
    # behind a proxy that cannot carry prepared statements (PgBouncer before 1.22).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("MEDERP_DB_PREPARED_STATEMENTS", True) else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, background jobs -------------------------------------------------------
REDIS_URL = env_str("MEDERP_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    HUEY = {"huey_class": "huey.RedisHuey", "name": "mederp", "immediate": False, "url": REDIS_URL}
else:
    # A file cache is shared by all gunicorn workers, so rate limits hold across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "mederp",
        "immediate": False,
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "__Host-mederp_session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("MEDERP_SESSION_IDLE_SECONDS", 15 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the cookie age is then an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_NAME = "__Host-mederp_csrf"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "mederp.ui.views.csrf_failure"

# --- Transport security and headers ---------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("MEDERP_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if MEDERP_TRUSTED_PROXIES else None
SECURE_HSTS_SECONDS = env_int("MEDERP_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MEDERP_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("MEDERP_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    # allauth's backend, refusing locked accounts (identity/lockout.py).
    "mederp.identity.lockout.LockoutAuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # At least 64 characters must be accepted (NIST SP 800-63B); no composition rules.
    {
        "NAME": "mederp.identity.passwords.MaximumLengthValidator",
        "OPTIONS": {"max_length": env_int("MEDERP_PASSWORD_MAX_LENGTH", 128)},
    },
    # Breached and common passwords from a list shipped in a package (no network).
    {"NAME": "mederp.identity.passwords.BreachedPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "ui:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "mederp.identity.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
# A password change ends every session of the user, this one included (identity/sessions.py).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_RATE_LIMITS = {
    # Per client IP and per account (the login name); identity/lockout.py adds the lockout.
    "login_failed": env_str("MEDERP_LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/300s/key"),
}

# Two-factor authentication (allauth.mfa): TOTP (RFC 6238, 30 s), recovery codes, WebAuthn.
MFA_ADAPTER = "mederp.identity.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_FORMS = {
    "authenticate": "mederp.identity.mfa.AuthenticateForm",
    "reauthenticate": "mederp.identity.mfa.ReauthenticateForm",
}
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
# One step either side for clock drift; a used code stays refused for the whole window.
MFA_TOTP_TOLERANCE = 1
MFA_TOTP_ISSUER = env_str("MEDERP_TOTP_ISSUER", "mederp")
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Passkeys are second factors; signing in with a passkey alone (no password) stays off.
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False  # mederp is served over HTTPS only
MFA_TRUST_ENABLED = False  # every sign-in asks for the second factor
# Roles whose holders may sign in without a second factor (role codes). Empty: MFA for all.
MEDERP_MFA_EXEMPT_ROLES = env_list("MEDERP_MFA_EXEMPT_ROLES", [])

# Sessions: idle timeout is SESSION_COOKIE_AGE (above); this is the absolute one.
MEDERP_SESSION_ABSOLUTE_SECONDS = env_int("MEDERP_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
# Sessions are listed from sign-in (allauth.usersessions); last activity is read from the
# session's own expiry, so no extra write per request.
USERSESSIONS_TRACK_ACTIVITY = False

# Progressive lockout: locked after N consecutive failures (at most 10), for the base time,
# doubled at each further lockout up to the maximum; an administrator can unlock at once.
MEDERP_LOCKOUT_THRESHOLD = env_int("MEDERP_LOCKOUT_THRESHOLD", 10)
MEDERP_LOCKOUT_BASE_SECONDS = env_int("MEDERP_LOCKOUT_BASE_SECONDS", 15 * 60)
MEDERP_LOCKOUT_MAX_SECONDS = env_int("MEDERP_LOCKOUT_MAX_SECONDS", 24 * 3600)
# A successful sign-in after this many failures is flagged in the audit ledger.
MEDERP_LOGIN_FLAG_AFTER_FAILURES = env_int("MEDERP_LOGIN_FLAG_AFTER_FAILURES", 5)

# Trusted devices: a signed random browser key in a long-lived cookie, a Device row per user.
MEDERP_DEVICE_COOKIE_NAME = "__Host-mederp_device"
MEDERP_DEVICE_COOKIE_DAYS = env_int("MEDERP_DEVICE_COOKIE_DAYS", 400)
# Off: device-bound roles are not restricted to approved devices (devices are still recorded).
MEDERP_DEVICE_BINDING = env_bool("MEDERP_DEVICE_BINDING", True)

# Email (new-device notices). Sending failures are logged and never block a sign-in.
EMAIL_BACKEND = env_str("MEDERP_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("MEDERP_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("MEDERP_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("MEDERP_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("MEDERP_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("MEDERP_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("MEDERP_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("MEDERP_EMAIL_FROM", "mederp@localhost")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "mederp_language"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mederp.api.authentication.TokenAuthentication",
        "mederp.api.authentication.SessionAuthentication",
    ],
    # Signed in, and holding the view's `required_permission` (default deny).
    "DEFAULT_PERMISSION_CLASSES": ["mederp.api.permissions.RequiredPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "mederp.api.errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mederp API",
    "DESCRIPTION": "REST API of mederp. Errors are RFC 9457 problem details.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema URL to validator.swagger.io (no external calls).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("MEDERP_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "mederp.core.logging.json_formatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
    },
}

# --- Access control and electronic signatures (mederp.access, mederp.signatures) ------------
# Accounts without a sign-in for this many days are disabled by a nightly job (0: never).
MEDERP_INACTIVE_ACCOUNT_DAYS = env_int("MEDERP_INACTIVE_ACCOUNT_DAYS", 90)
MEDERP_INACTIVE_EXEMPT_USERNAMES = env_list("MEDERP_INACTIVE_EXEMPT_USERNAMES", [])
# When a signature needs the authenticator code as well as the password: "first" signature
# of each session (21 CFR 11.200(a)(1)) or "always".
MEDERP_SIGNATURE_TOTP = env_str("MEDERP_SIGNATURE_TOTP", "first")
# Failed signing attempts allowed per user within the window before signing is refused.
MEDERP_SIGNATURE_MAX_FAILURES = env_int("MEDERP_SIGNATURE_MAX_FAILURES", 5)
MEDERP_SIGNATURE_FAILURE_WINDOW = env_int("MEDERP_SIGNATURE_FAILURE_WINDOW", 15 * 60)

# --- mederp ---------------------------------------------------------------------------------
MEDERP_COMPANY_NAME = env_str("MEDERP_COMPANY_NAME", "")
MEDERP_KEYS_DIR = env_str("MEDERP_KEYS_DIR") or str(VAR_DIR / "keys")
# Signed audit checkpoints: every N entries or T seconds, whichever comes first.
MEDERP_AUDIT_CHECKPOINT_EVERY = env_int("MEDERP_AUDIT_CHECKPOINT_EVERY", 1000)
MEDERP_AUDIT_CHECKPOINT_SECONDS = env_int("MEDERP_AUDIT_CHECKPOINT_SECONDS", 300)
# Where every checkpoint is also appended (a WORM mount or another system's drop folder).
MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR = env_str("MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR") or str(
    VAR_DIR / "checkpoints"
)
# The checkpoint signing key (its .pub sits beside it); default <keys dir>/audit-signing.key.
MEDERP_AUDIT_SIGNING_KEY = env_str("MEDERP_AUDIT_SIGNING_KEY")
# --- data protection (docs/operations/encryption.md) -----------------------------------------
# Where the key-encryption key lives: "local" (files in <keys dir>/data-kek/) or "vault".
MEDERP_KEY_PROVIDER = env_str("MEDERP_KEY_PROVIDER", "local")
MEDERP_VAULT_ADDR = env_str("MEDERP_VAULT_ADDR")
MEDERP_VAULT_TOKEN_FILE = env_str("MEDERP_VAULT_TOKEN_FILE")
MEDERP_VAULT_TRANSIT_MOUNT = env_str("MEDERP_VAULT_TRANSIT_MOUNT", "transit")
MEDERP_VAULT_KEY_NAME = env_str("MEDERP_VAULT_KEY_NAME", "mederp-kek")
MEDERP_VAULT_CA_FILE = env_str("MEDERP_VAULT_CA_FILE")
# How long an unwrapped data key stays in a process's memory.
MEDERP_DATA_KEY_CACHE_SECONDS = env_int("MEDERP_DATA_KEY_CACHE_SECONDS", 300)
# Second copy of the crypto-shredding destruction list (default: the checkpoint export dir).
MEDERP_DATA_DESTRUCTION_LIST_COPY_DIR = env_str("MEDERP_DATA_DESTRUCTION_LIST_COPY_DIR")

# --- materials (docs/operations/configuration.md, "Materials") --------------------------------
# Item codes must match this regular expression (whole code).
MEDERP_ITEM_CODE_PATTERN = env_str(
    "MEDERP_ITEM_CODE_PATTERN", r"[A-Z]{2,4}-[0-9]{4,6}(-[A-Z0-9]{1,4})?"
)
# Purchase orders whose total (in the order's currency) is above this need a second person's
# approval before they can be received against.
MEDERP_PO_APPROVAL_AMOUNT = env_str("MEDERP_PO_APPROVAL_AMOUNT", "10000")
# The currency of MEDERP_PO_APPROVAL_AMOUNT; orders in another currency are allowed only with
# an approval amount of their own here ("USD=1400,EUR=1300").
MEDERP_PO_HOME_CURRENCY = env_str("MEDERP_PO_HOME_CURRENCY", "CNY")
MEDERP_PO_APPROVAL_AMOUNTS = env_list("MEDERP_PO_APPROVAL_AMOUNTS", ["USD=1400", "EUR=1300"])
# A supplier certificate that has expired: "block" refuses PO lines and receipts, "warn" lets
# them through with a warning in the ledger entry.
MEDERP_EXPIRED_CERTIFICATE = env_str("MEDERP_EXPIRED_CERTIFICATE", "block")
# Certificates expiring within this many days are flagged on the supplier page and the list.
MEDERP_CERTIFICATE_WARNING_DAYS = env_int("MEDERP_CERTIFICATE_WARNING_DAYS", 60)
# Cycle-count differences above this percentage of the expected quantity (or any difference
# on a lot with nothing expected) need a second person's approval before they are posted.
MEDERP_COUNT_APPROVAL_PERCENT = env_str("MEDERP_COUNT_APPROVAL_PERCENT", "2")
