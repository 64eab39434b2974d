"""ASGI middleware: body-size limit, security headers, and an access log without case content.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so that a large body is refused while it
streams in, before it is held in memory, and the per-request cost stays small.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from calcinosis.textsafe import plain
from calcinosis.web.problems import PROBLEM_TYPE, Problem
from calcinosis.web.settings import host_name

__all__ = ["SECURITY_HEADERS", "AccessLog", "BodyLimit", "HeadAsGet", "SecurityHeaders", "TrustedHosts"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("calcinosis.web.access")

# No inline script or style anywhere (htmx is told not to inject its indicator style); images
# may be data: URIs (the imaging overlays); nothing may frame the app.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


NO_STORE: tuple[tuple[bytes, bytes], ...] = ((b"cache-control", b"no-store"),)


class _TooLarge(Exception):
    pass


async def _send_problem(send: Send, status: int, detail: str, path: str) -> None:
    title = "Content too large" if status == 413 else "Bad request"
    body = (
        Problem(title=title, status=status, detail=detail, instance=plain(path, limit=500, newlines=False))
        .model_dump_json(exclude_none=True)
        .encode()
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_TYPE.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse a request body over its limit with 413: at once from Content-Length, else while it streams.

    ``upload_paths`` (prefixes) get the larger upload limit (imaging studies).
    """

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, upload_paths: tuple[str, ...]) -> None:
        self.app, self.max_body, self.max_upload, self.upload_paths = app, max_body, max_upload, upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.max_upload if path.startswith(self.upload_paths) else self.max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_problem(send, 400, "Content-Length is not a number", path)
                    return
                if declared > limit:
                    await _send_problem(
                        send, 413, f"the request body is {declared} bytes; the limit here is {limit}", path
                    )
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_problem(send, 413, f"the request body is over the limit here ({limit} bytes)", path)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (the API's and the pages')."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # everything but the static files may hold patient data (a result, a report, the
        # registry): not kept by the browser's or a proxy's cache (it was, for registry pages)
        extra = () if str(scope.get("path", "")).startswith("/static/") else NO_STORE

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in (*SECURITY_HEADERS, *extra) if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class TrustedHosts:
    """Answer only requests whose ``Host`` header names this server (``hosts``; ``*.domain`` for
    its sub-domains): any other gets 400. Without it a page elsewhere could make its own name
    resolve to this machine (DNS rebinding) and read the app from the user's browser, the
    registry's pages included. Written here rather than Starlette's ``TrustedHostMiddleware``,
    which cuts ``[::1]:8000`` at its first colon and answers plain text."""

    def __init__(self, app: ASGIApp, *, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.exact = frozenset(h for h in hosts if not h.startswith("*."))
        self.suffixes = tuple(h[1:] for h in hosts if h.startswith("*."))

    def allows(self, header: str) -> bool:
        """Whether a ``Host`` header names this server."""
        host = host_name(header)
        return host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = [value for name, value in scope.get("headers", []) if name == b"host"]
        if len(given) == 1 and self.allows(given[0].decode("latin-1")):
            await self.app(scope, receive, send)
            return
        shown = plain(given[0].decode("latin-1"), limit=100, newlines=False) if given else ""
        detail = (
            f"the Host header {shown!r} does not name this server; its operator can add the name to "
            "CALCINOSIS_ALLOWED_HOSTS"
            if len(given) == 1
            else "the request needs exactly one Host header naming this server"
        )
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _send_problem(send, 400, detail, str(scope.get("path", "")))


class HeadAsGet:
    """HEAD wherever GET is (RFC 9110 9.3.2): the request is answered as its GET, with the same
    status and headers (``Content-Length`` included) and no body. FastAPI routes declared with
    ``@get`` answered a HEAD with 405, so a link checker, a monitoring probe or a cache
    revalidation saw every page and resource as missing.

    Every ``Allow`` header that names GET names HEAD too (a 405's list of what is allowed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"

        async def headless_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [_with_head(name, value) for name, value in message.get("headers", [])]
            elif message["type"] == "http.response.body" and head:
                if message.get("more_body", False):
                    return  # the body's chunks are counted in Content-Length, never sent
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"} if head else scope, receive, headless_send)


def _with_head(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """An ``Allow`` header with HEAD beside GET; any other header as it is."""
    if name.lower() != b"allow":
        return name, value
    methods = [m.strip() for m in value.split(b",") if m.strip()]
    if b"GET" in methods and b"HEAD" not in methods:
        methods.insert(methods.index(b"GET") + 1, b"HEAD")
    return name, b", ".join(methods)


class AccessLog:
    """One log line per request: method, path, status, duration. Never the query string or the body,
    which may hold patient data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                path = "".join(ch if ch.isprintable() else "?" for ch in scope.get("path", ""))[:200]
                ms = (time.perf_counter() - start) * 1000
                access_log.info("%s %s %d %.1f ms", scope.get("method", "?"), path, status, ms)
