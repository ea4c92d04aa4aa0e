"""Reads that may lag go to a streaming replica; everything else stays on the primary.

A province deployment adds a PostgreSQL hot standby (YIBIAO_REPLICA_URL) to carry the
reads that can be a second or two behind: dashboards, roll-ups, exports, the data API and
search. Nothing is guessed per model. A read goes to the replica only when all hold:

- a replica is configured (without YIBIAO_REPLICA_URL every query goes to `default`, the
  normal case on one machine);
- the code that reads said it tolerates lag, with ``reads_may_lag()`` (a context manager
  and a decorator, put on the views and jobs listed above);
- nothing has been written in this unit of work (a request, a job): the first write pins
  the rest of it to the primary, so a page shows what it just saved;
- the primary connection is not inside a transaction (a read there must see the
  transaction's own writes and take its locks).

A write always goes to the primary (the replica is read-only anyway). ``PinAfterWrite``
keeps a browser on the primary for YIBIAO_REPLICA_PIN_SECONDS after a request that wrote
(a cookie), so the page a form redirects to shows what the person just edited even where
that page is lag-tolerant. Raw SQL outside the ORM picks its connection with
``read_connection()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "yibiao_primary"

_lag_ok: ContextVar[bool] = ContextVar("yibiao_reads_may_lag", default=False)
_wrote: ContextVar[bool] = ContextVar("yibiao_wrote", default=False)
_not_read_back: ContextVar[bool] = ContextVar("yibiao_not_read_back", default=False)


@contextmanager
def reads_may_lag() -> Iterator[None]:
    """Reads inside may come from the replica (a decorator too: ``@reads_may_lag()``)."""
    token = _lag_ok.set(True)
    try:
        yield
    finally:
        _lag_ok.reset(token)


@contextmanager
def unit_of_work(*, pinned: bool = False) -> Iterator[None]:
    """A request or a job: writes before it do not pin reads inside it, and its own writes
    stop pinning when it ends. ``pinned`` starts it on the primary (a recent write)."""
    token = _wrote.set(pinned)
    try:
        yield
    finally:
        _wrote.reset(token)


@contextmanager
def not_read_back() -> Iterator[None]:
    """Writes inside do not pin: bookkeeping the request never reads back (an audit entry
    appended, a token's last use), which would otherwise send every audited read to the
    primary."""
    token = _not_read_back.set(True)
    try:
        yield
    finally:
        _not_read_back.reset(token)


def wrote() -> bool:
    """Whether this unit of work has written (and so reads only from the primary)."""
    return _wrote.get()


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The database a read here goes to: the replica only where all the rules above hold."""
    if (_lag_ok.get() and not _wrote.get() and has_replica()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
        return REPLICA
    return DEFAULT_DB_ALIAS


def read_connection():  # noqa: ANN201 - django.db's connection proxy has no public type
    """The connection for raw SQL that reads (e.g. the roll-up's one query)."""
    return connections[read_alias()]


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: see the module's docstring."""

    def db_for_read(self, model: type, **hints: object) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: object) -> str:
        if not _not_read_back.get():
            _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db != REPLICA  # the standby replays the primary's migrations itself


class PinAfterWrite:
    """Middleware: each request a unit of work; a request that wrote keeps this browser's
    reads on the primary for YIBIAO_REPLICA_PIN_SECONDS (the redirect after a form)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with unit_of_work(pinned=PIN_COOKIE in request.COOKIES):
            response = self.get_response(request)
            if wrote() and has_replica() and request.method not in ("GET", "HEAD"):
                response.set_cookie(PIN_COOKIE, "1", max_age=settings.YIBIAO_REPLICA_PIN_SECONDS,
                                    httponly=True, samesite="Lax",
                                    secure=settings.SESSION_COOKIE_SECURE)
        return response
