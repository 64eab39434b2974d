"""Who is signed in to the registry's pages, what they may do, and the protections around it.

Sessions are signed cookies (Starlette's SessionMiddleware: ``HttpOnly``, ``SameSite=strict``,
``Secure`` when served over HTTPS) holding the user id and a CSRF token; every form carries
the token and every state-changing request must present it (form field or ``X-CSRF-Token``
header). Failed sign-ins are limited per user name and address. Roles: a clinician reads and
writes, a researcher reads pseudonymised data only, an admin manages users.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque

from fastapi import Request
from sqlalchemy import select

from calcinosis.errors import CalcinosisError
from calcinosis.registry.db import session_scope
from calcinosis.registry.models import User

__all__ = [
    "SESSION_SECONDS",
    "AuthError",
    "EndedSessions",
    "LoginLimiter",
    "SignedIn",
    "check_csrf",
    "csrf_token",
    "end_session",
    "sign_in",
    "signed_in",
]

SESSION_SECONDS = 8 * 3600
"""How long a session cookie lives (a working day)."""

WRITERS = frozenset({"clinician", "admin"})


class AuthError(CalcinosisError):
    """Not signed in (401), not allowed (403), or too many attempts (429); ``key`` is its
    ``messages.yaml`` text, said in the reader's language (``text``): the French sign-in page
    and the registry's refusals were English."""

    def __init__(self, key: str, status: int, **values: object) -> None:
        from calcinosis.i18n import message

        super().__init__(message(key, "en", **values))
        self.status, self.key, self.values = status, key, values

    def text(self, lang: str) -> str:
        from calcinosis.i18n import message

        values = dict(self.values)
        if "role" in values:  # the role in the reader's words ('researcher' read on a French page)
            values["role"] = message(f"ui_role_{values['role']}", lang)
        return message(self.key, lang, **values)


class SignedIn:
    """The signed-in user, as the pages need it."""

    def __init__(self, user_id: int, username: str, role: str, team: str) -> None:
        self.id, self.username, self.role, self.team = user_id, username, role, team

    @property
    def can_write(self) -> bool:
        return self.role in WRITERS

    def require_writer(self) -> None:
        if not self.can_write:
            raise AuthError("auth_reader_only", 403, role=self.role)


def signed_in(request: Request) -> SignedIn:
    """The user of this session; raises AuthError(401) when nobody (active) is signed in."""
    user_id, sid = request.session.get("uid"), request.session.get("sid")
    if not isinstance(user_id, int) or not isinstance(sid, str) or request.app.state.calcinosis.ended().ended(sid):
        request.session.clear()
        raise AuthError("auth_sign_in", 401)
    engine = request.app.state.calcinosis.registry()
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.id == user_id, User.active.is_(True)))
        if user is None:
            request.session.clear()
            raise AuthError("auth_sign_in", 401)
        return SignedIn(user.id, user.username, user.role, user.team)


async def sign_in(request: Request, username: str, password: str) -> SignedIn:
    """Check the password (rate-limited per name and address) and start a new session for the user;
    raises AuthError 401 (wrong name or password) or 429 (too many failures)."""
    import anyio

    from calcinosis.registry import store

    state = request.app.state.calcinosis
    address = request.client.host if request.client else "?"
    state.limiter().check(username, address)

    def attempt() -> SignedIn | None:
        with session_scope(state.registry()) as s:
            user = store.authenticate(s, username, password)
            return SignedIn(user.id, user.username, user.role, user.team) if user else None

    found = await anyio.to_thread.run_sync(attempt)
    if found is None:
        state.limiter().failed(username, address)
        raise AuthError("auth_wrong_credentials", 401)
    request.session.clear()  # a new session at sign-in (no fixation)
    request.session["uid"] = found.id
    request.session["sid"] = secrets.token_urlsafe(18)  # what signing out ends, server side
    return found


def end_session(request: Request) -> None:
    """Sign out: the session is ended on the server too, so a copy of its cookie no longer
    signs anyone in (it did for the rest of its 8 hours: the cookie is signed, not stored)."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        request.app.state.calcinosis.ended().end(sid)
    request.session.clear()


class EndedSessions:
    """The sessions signed out before their cookie expires, kept until it would have (per process:
    a server restarted with ``CALCINOSIS_SESSION_SECRET`` set forgets them; without it, a restart
    makes every cookie invalid anyway)."""

    def __init__(self, lifetime: float = SESSION_SECONDS) -> None:
        self.lifetime = lifetime
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    def end(self, sid: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._ended = {k: t for k, t in self._ended.items() if t > now}
            self._ended[sid] = now + self.lifetime

    def ended(self, sid: str) -> bool:
        with self._lock:
            until = self._ended.get(sid)
        return until is not None and until > time.monotonic()


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a state-changing request whose token is missing or wrong (403)."""
    expected = request.session.get("csrf")
    given = submitted or request.headers.get("x-csrf-token")
    if not isinstance(expected, str) or not isinstance(given, str) or not secrets.compare_digest(expected, given):
        raise AuthError("auth_stale_form", 403)


class LoginLimiter:
    """At most ``attempts`` failed sign-ins per user name and per address in ``window`` seconds.

    Only failures are kept, and only while they count: a name or address whose failures are all
    older than the window is dropped (on its next look-up, and for every key by a sweep at most
    once per quarter window). Every sign-in used to leave an entry for its name and its address
    for the life of the process, so a client cycling through names or addresses grew it without
    bound; now it holds at most the failures of the last window and a quarter."""

    def __init__(self, attempts: int = 5, window: float = 900.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = {}
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many names and addresses are held (the memory it uses)."""
        with self._lock:
            return len(self._failures)

    def _count(self, key: str, now: float) -> int:
        """The failures of ``key`` within the window; a key with none left is dropped."""
        q = self._failures.get(key)
        if q is None:
            return 0
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            del self._failures[key]
        return len(q)

    def _sweep(self, now: float) -> None:
        """Drop every key whose last failure is older than the window (keys never looked up again)."""
        if now < self._next_sweep:
            return
        self._failures = {k: q for k, q in self._failures.items() if q and now - q[-1] <= self.window}
        self._next_sweep = now + self.window / 4

    def check(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            if any(self._count(k, now) >= self.attempts for k in (f"u:{username}", f"a:{address}")):
                raise AuthError("auth_too_many", 429)

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            for key in (f"u:{username}", f"a:{address}"):
                self._count(key, now)
                self._failures.setdefault(key, deque()).append(now)
