"""One settings file, read from the environment.

SQLite under ./var is the default so `make demo` needs nothing installed; DATABASE_URL
switches to PostgreSQL. Helpers fail loudly on malformed values rather than guessing.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("YIBIAO_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def _secret_key() -> str:
    """From YIBIAO_SECRET_KEY; otherwise one generated once per installation under var/.

    Production sets the variable; a laptop demo should not need to.
    """
    if key := os.environ.get("YIBIAO_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("YIBIAO_DEBUG", False)
ALLOWED_HOSTS = env_list("YIBIAO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("YIBIAO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "yibiao.orgunits",
    "yibiao.accounts",
    "yibiao.audit",
    "yibiao.dictionary",
    "yibiao.ledger",
    "yibiao.gate",
    "yibiao.intake",
    "yibiao.reports",
    "yibiao.burden",
    "yibiao.agenda",
    "yibiao.slipped",
    # Migration history only: databases made before the one gate migrate through them.
    "yibiao.admission",
    "yibiao.workload",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Each request a unit of work for the replica router: after a write, reads stay on the primary.
    "yibiao.replica.PinAfterWrite",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yibiao.params.RefuseNulBytes",
    "yibiao.refusals.RefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yibiao.urls"
WSGI_APPLICATION = "yibiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # `|word`: the dictionary's element names and code values in the page's language.
            "builtins": ["yibiao.dictionary.templatetags.words"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yibiao.sqlite3'}",
        conn_max_age=int(os.environ.get("YIBIAO_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import writes; a busy timeout instead of
    # "database is locked" under a few concurrent writers. SQLite's default 2 MB page
    # cache made a 100,000-row import spend 10 s re-reading index pages: 64 MB (taken only
    # as used) and memory-mapped reads keep the ledger's indexes at hand.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a real file, not shared-cache memory: concurrent connections then wait on
    # the busy timeout exactly as in production instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}.test"}

# A PostgreSQL streaming replica (hot standby) for the reads that may lag: dashboards,
# roll-ups, exports, the data API, search (yibiao/replica.py). Unset: no replica, every query
# on `default`. Writes and reads after a write always go to `default`; a browser that wrote
# stays on it for YIBIAO_REPLICA_PIN_SECONDS (the page a form redirects to shows the edit).
if replica_url := os.environ.get("YIBIAO_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        replica_url, conn_max_age=int(os.environ.get("YIBIAO_DB_CONN_MAX_AGE", "0")))
    # Django's own test databases: the replica alias reads the test primary (no copy to make).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["yibiao.replica.ReplicaRouter"]
YIBIAO_REPLICA_PIN_SECONDS = env_int("YIBIAO_REPLICA_PIN_SECONDS", 15)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes), two limits (yibiao/accounts/logins.py): an account is locked
# after YIBIAO_LOGIN_FAILURES wrong passwords from anywhere, an address after the higher
# YIBIAO_LOGIN_FAILURES_PER_ADDRESS over all the accounts it tried (one office's typos behind
# one NAT lock only the account typed). Locked for YIBIAO_LOGIN_COOLOFF_MINUTES after the last
# counted failure; tries meanwhile are refused, not counted. The axes backend comes first and
# only refuses; it needs the request, so authenticate() is always given one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "yibiao.accounts.logins.LoginHandler"
AXES_FAILURE_LIMIT = env_int("YIBIAO_LOGIN_FAILURES", 5)  # per account
YIBIAO_LOGIN_FAILURES_PER_ADDRESS = env_int("YIBIAO_LOGIN_FAILURES_PER_ADDRESS", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("YIBIAO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # the records LoginHandler counts
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a locked try does not restart the wait
AXES_RESET_ON_SUCCESS = True  # a typo or two before the right password leaves nothing behind
AXES_LOCKOUT_CALLABLE = "yibiao.accounts.logins.locked_out"
AXES_CLIENT_IP_CALLABLE = "yibiao.accounts.logins.client_ip"
AXES_USERNAME_CALLABLE = "yibiao.accounts.logins.attempted_username"
AXES_DISABLE_ACCESS_LOG = True  # successful logins go to our own audit log
# Behind a reverse proxy every client has the proxy's address: say how many proxies append
# to X-Forwarded-For, or one office's typos would lock out everyone. 0 trusts no header.
YIBIAO_PROXY_COUNT = env_int("YIBIAO_PROXY_COUNT", 0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},  # a phone, a date
]

# Simplified Chinese is the source language of every message; Traditional Chinese and
# English are translations compiled into yibiao/locale.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("YIBIAO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Set for `collectstatic` in production; the app serves straight from the package otherwise.
STATIC_ROOT = os.environ.get("YIBIAO_STATIC_ROOT") or None
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Uploaded templates, uploads waiting for an import job and finished exports (yibiao/stored.py):
# a local directory by default; with several app servers and job workers, a directory they all
# mount (YIBIAO_STORAGE_DIR) or S3-compatible object storage (YIBIAO_STORAGE=s3, the `s3` extra).
MEDIA_ROOT = Path(os.environ.get("YIBIAO_STORAGE_DIR") or VAR_DIR / "media").resolve()
YIBIAO_STORAGE = os.environ.get("YIBIAO_STORAGE", "local")
if YIBIAO_STORAGE == "local":
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif YIBIAO_STORAGE == "s3":
    if not os.environ.get("YIBIAO_STORAGE_S3_BUCKET"):
        raise ValueError("YIBIAO_STORAGE=s3 needs YIBIAO_STORAGE_S3_BUCKET")
    # Unset keys fall back to boto3's own (AWS_ACCESS_KEY_ID, an instance role …).
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": os.environ.get("YIBIAO_STORAGE_S3_BUCKET"),
        "endpoint_url": os.environ.get("YIBIAO_STORAGE_S3_ENDPOINT") or None,
        "region_name": os.environ.get("YIBIAO_STORAGE_S3_REGION") or None,
        "access_key": os.environ.get("YIBIAO_STORAGE_S3_ACCESS_KEY") or None,
        "secret_key": os.environ.get("YIBIAO_STORAGE_S3_SECRET_KEY") or None,
        "location": os.environ.get("YIBIAO_STORAGE_S3_PREFIX", ""),
        "file_overwrite": False,  # a second file of the same name gets a name of its own, as on disk
    }}
else:
    raise ValueError(f"YIBIAO_STORAGE must be 'local' or 's3', not {YIBIAO_STORAGE!r}")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and the demo serve static files straight from the package, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions in the database (Django's default, said here so it stays so): a browser's next
# request may reach another app server. Every server needs the same YIBIAO_SECRET_KEY.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("YIBIAO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "yibiao.errors.csrf_failure"  # in the layout, saying the typing was not stored
X_FRAME_OPTIONS = "DENY"

# Background jobs (big exports): the database backend needs nothing but the database and
# `yibiao worker` (started by `yibiao serve`); production may use Redis through RQ.
TASKS_BACKEND = os.environ.get("YIBIAO_TASKS_BACKEND", "database")
REDIS_URL = os.environ.get("YIBIAO_REDIS_URL", "redis://127.0.0.1:6379/0")
# With Redis, any number of `yibiao worker` on any machines share the queue; a job whose worker
# dies is handed to another after YIBIAO_JOB_LOST_SECONDS without a heartbeat, up to
# YIBIAO_JOB_RETRIES times (yibiao/workers.py); a job may run YIBIAO_JOB_TIMEOUT_SECONDS.
YIBIAO_JOB_RETRIES = env_int("YIBIAO_JOB_RETRIES", 3)
YIBIAO_JOB_LOST_SECONDS = env_int("YIBIAO_JOB_LOST_SECONDS", 30)
YIBIAO_JOB_TIMEOUT_SECONDS = env_int("YIBIAO_JOB_TIMEOUT_SECONDS", 3600)
if TASKS_BACKEND == "redis":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": YIBIAO_JOB_TIMEOUT_SECONDS}}
    # The job class is django-tasks-rq's: RQ's own cannot run a django-tasks task.
    RQ = {"QUEUE_CLASS": "yibiao.workers.Queue", "WORKER_CLASS": "yibiao.workers.Worker",
          "JOB_CLASS": "django_tasks_rq.backend.Job"}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # Shared by every app server; nothing in yibiao caches today, but what Django or a package
    # caches must not differ between two servers behind one proxy.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "yibiao"}}
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise ValueError(f"YIBIAO_TASKS_BACKEND must be 'database' or 'redis', not {TASKS_BACKEND!r}")
# Exports of more residents than this run in the background with progress on the page.
YIBIAO_BACKGROUND_EXPORT_ROWS = int(os.environ.get("YIBIAO_BACKGROUND_EXPORT_ROWS", "20000"))

# What one read of an uploaded spreadsheet may cost the server (yibiao.sheets refuses past
# them with a coded message): rows of a sheet, memory the read may add to the process,
# seconds for a template inspection and for reading a roster, cells of a sheet. Uploads to
# the web import with more rows than YIBIAO_WEB_IMPORT_ROWS are refused at once, even as a
# background job, and sent to `yibiao ledger import`. Jobs read within the same memory
# budget, which bounds the whole job (the rows it lets through are what the write holds), so
# the default is the row limit itself; figures in the README's configuration table.
YIBIAO_MAX_ROWS = env_int("YIBIAO_MAX_ROWS", 1_000_000)
YIBIAO_MAX_CELLS = env_int("YIBIAO_MAX_CELLS", 40_000_000)
YIBIAO_PARSE_MEMORY_MB = env_int("YIBIAO_PARSE_MEMORY_MB", 300)
YIBIAO_INSPECT_SECONDS = env_float("YIBIAO_INSPECT_SECONDS", 10.0)
YIBIAO_READ_SECONDS = env_float("YIBIAO_READ_SECONDS", 600.0)
YIBIAO_WEB_IMPORT_ROWS = env_int("YIBIAO_WEB_IMPORT_ROWS", YIBIAO_MAX_ROWS)
# Web imports (dry run and import) of rosters with more rows than this run as background
# jobs with progress (yibiao.intake.jobs), not inside the request.
YIBIAO_BACKGROUND_IMPORT_ROWS = env_int("YIBIAO_BACKGROUND_IMPORT_ROWS", 5_000)

# Burden accounting: what one typed cell and one form cost a worker (shown beside figures).
YIBIAO_SECONDS_PER_CELL = env_float("YIBIAO_SECONDS_PER_CELL", 6.0)
YIBIAO_SECONDS_PER_FORM = env_float("YIBIAO_SECONDS_PER_FORM", 300.0)

# Levels whose staff may move a resident between two communities they both hold without the
# old community confirming (e.g. "township"); by default every such move is a transfer
# request (迁入申请) the resident's current community or township confirms.
YIBIAO_DIRECT_MOVES = env_list("YIBIAO_DIRECT_MOVES", [])
# ID numbers found registered in another community, per account and 24 hours (dry runs
# included): each tells the writer where someone lives, so a file of guesses is stopped.
YIBIAO_FOREIGN_MATCHES_PER_DAY = env_int("YIBIAO_FOREIGN_MATCHES_PER_DAY", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIBIAO_LOG_LEVEL", "WARNING")},
}
