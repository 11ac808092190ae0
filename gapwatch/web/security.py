"""Browser security: the session cookie, CSRF tokens, client addresses, security headers and the size limit.

* The session cookie (Starlette's ``SessionMiddleware``: signed with itsdangerous, HttpOnly, SameSite=Lax,
  Secure when ``settings.https``) carries only a random CSRF token and, once signed in, the id of a session
  stored in the database (:mod:`gapwatch.services.sessions`): nothing secret about the account, and nothing
  that outlives signing out.
* Every state-changing request made with the session cookie must carry that token, in the ``csrf_token``
  form field or the ``X-CSRF-Token`` header (synchroniser token pattern, OWASP CSRF Prevention Cheat Sheet);
  a cross-site ``Origin`` header is refused as well. Only under ``/api/`` may a bearer-token client, which
  sends no cookie, go without: API tokens are not accepted anywhere else.
* The client's address is the TCP peer's, unless the peer is one of ``GAPWATCH_TRUSTED_PROXIES``: then it is
  the right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy (what the proxy saw).
* A "known browser" cookie (signed, HttpOnly, 90 days) lists the accounts that signed in from the browser,
  so that a throttled address does not stop their sign-ins (OWASP: device cookies).
* Every response gets a Content-Security-Policy without inline scripts, ``frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff`` and friends.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gapwatch.errors import Forbidden, GapwatchError

__all__ = [
    "CSP",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "KNOWN_BROWSER_COOKIE",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "CsrfFailed",
    "PayloadTooLarge",
    "RequestLimitMiddleware",
    "SecurityHeadersMiddleware",
    "check_csrf",
    "client_address",
    "csrf_token",
    "is_api_path",
    "known_accounts",
    "new_session_secret",
    "remember_account",
    "security_headers",
]

SESSION_COOKIE = "gapwatch_session"
KNOWN_BROWSER_COOKIE = "gapwatch_known"
_KNOWN_BROWSER_DAYS = 90
_KNOWN_BROWSER_MAX = 5  # accounts remembered per browser (a shared computer)
_KNOWN_BROWSER_SALT = "gapwatch.known-browser"
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


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the JSON API (the only place API tokens are accepted)."""
    return path == "/api" or path.startswith("/api/")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(request: Request, trusted: Sequence[Network] = ()) -> str:
    """The client's address: the peer's, or — when the peer is a trusted proxy — the right-most address in
    ``X-Forwarded-For`` that is not a trusted proxy (the left of it is whatever the client chose to send)."""
    peer = request.client.host if request.client else ""
    peer_address = _address(peer)
    if not trusted or peer_address is None or not any(peer_address in net for net in trusted):
        return peer or "unknown"
    hops = [hop for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # a trusted proxy passed on something that is not an address: go no further
        client = str(address)
        if not any(address in net for net in trusted):
            break
    return client


def _known_serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_KNOWN_BROWSER_SALT)


def known_accounts(request: Request, key: str) -> frozenset[int]:
    """The accounts (keys) that signed in from this browser in the last 90 days, from its signed cookie."""
    value = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not value or len(value) > 500:
        return frozenset()
    try:
        loaded = _known_serializer(key).loads(value, max_age=_KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:
        return frozenset()
    if not isinstance(loaded, list):
        return frozenset()
    return frozenset(pk for pk in loaded if isinstance(pk, int))


def remember_account(response: Response, request: Request, key: str, user_pk: int, *, https: bool) -> None:
    """Add ``user_pk`` to the browser's known-browser cookie (newest first, a few at most)."""
    before = [pk for pk in known_accounts(request, key) if pk != user_pk]
    value = _known_serializer(key).dumps([user_pk, *sorted(before)][:_KNOWN_BROWSER_MAX])
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        value,
        max_age=_KNOWN_BROWSER_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=https,
        path="/",
    )


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
    if is_api_path(request.url.path) and request.headers.get("authorization") and SESSION_COOKIE not in request.cookies:
        return  # bearer-token API client: no ambient credentials to abuse (tokens work under /api/ only)
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
