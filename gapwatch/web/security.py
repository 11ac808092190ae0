"""Browser security: the signed session cookie, CSRF tokens, security headers and the request size limit.

* Sessions are signed cookies (Starlette's ``SessionMiddleware`` over itsdangerous): HttpOnly, SameSite=Lax,
  Secure when ``settings.https``; they carry the user's primary key and ``session_epoch`` (so a password reset
  ends every session) and a random CSRF token.
* Every state-changing request made with the session cookie must carry that token, in the ``csrf_token``
  form field or the ``X-CSRF-Token`` header (synchroniser token pattern, OWASP CSRF Prevention Cheat Sheet);
  a cross-site ``Origin`` header is refused as well. API clients authenticating with a bearer token send no
  cookie and need no CSRF token.
* Every response gets a Content-Security-Policy without inline scripts, ``frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff`` and friends.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gapwatch.errors import Forbidden, GapwatchError

__all__ = [
    "CSP",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "UNSAFE_METHODS",
    "CsrfFailed",
    "PayloadTooLarge",
    "RequestLimitMiddleware",
    "SecurityHeadersMiddleware",
    "check_csrf",
    "csrf_token",
    "new_session_secret",
    "security_headers",
]

SESSION_COOKIE = "gapwatch_session"
#: Seconds of inactivity after which a session ends (the cookie is re-signed on every response).
SESSION_MAX_AGE = 8 * 60 * 60
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: No inline scripts anywhere; inline style *attributes* are allowed because Vega's SVG renderer sets them.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class CsrfFailed(Forbidden):
    """The form's CSRF token is missing or wrong (an old page, or a forged request)."""

    code = "csrf_failed"


class PayloadTooLarge(GapwatchError):
    """The request body is larger than the upload limit."""

    code = "payload_too_large"
    status_code = 413


def new_session_secret() -> str:
    """A random key for signing cookies when no ``GAPWATCH_SECRET_KEY`` is set (sessions end on restart)."""
    return secrets.token_urlsafe(48)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (so a form page sets the cookie)."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request made with the session cookie but without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("authorization") and SESSION_COOKIE not in request.cookies:
        return  # bearer-token API client: no ambient credentials to abuse
    if not _same_origin(request):
        raise CsrfFailed("This request came from another site and was refused", hint="Use the form on this site.")
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfFailed(
            "Your form could not be sent because the page had expired",
            hint="Go back, reload the page and try again.",
        )


def security_headers(*, https: bool) -> list[tuple[bytes, bytes]]:
    """The headers added to every response."""
    headers = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
    }
    if https:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response; pages that are not static files are not cached."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.headers = security_headers(https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith(("/static/", "/vendor/", "/assets/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in self.headers:
                    if key.decode() not in headers:
                        headers.append(key.decode(), value.decode())
                if not static and "cache-control" not in headers:
                    headers.append("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with a 413 page (or the JSON error under /api).

    A body announcing a larger ``Content-Length`` is refused before it is read; a chunked body is cut off as
    soon as it passes the limit, whatever the app was doing with it, and the 413 replaces its response.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, receive, send)
                return
        received = 0
        exceeded = False
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(_too_large_message(limit))
            return message

        async def guarded_send(message: Message) -> None:
            if not exceeded:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        from gapwatch.web.errors import error_response  # errors imports this module

        request = Request(scope, receive)
        error = PayloadTooLarge(_too_large_message(self.limit), hint="Split the file, or ask for a higher limit.")
        response = error_response(request, error)
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _too_large_message(limit: int) -> str:
    return f"The file or form is too large: the limit is {limit // (1024 * 1024)} MB"
