"""ASGI middleware guarding the server: a cap on request bodies, and security headers.

Written as plain ASGI (not `BaseHTTPMiddleware`) so the body cap sees the byte stream itself: a client
can lie in Content-Length or send a chunked body with none, so both the header and the bytes actually
received are checked.
"""
from __future__ import annotations

import json

from .errors import ApiError

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# Swagger UI at /docs runs an inline bootstrap script, so it gets a looser policy of its own.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")


def _too_large(limit: int, got: str) -> str:
    return f"the request body is {got}; the limit is {limit:,} bytes"


class BodyTooLarge(ApiError):
    def __init__(self, limit: int, got: str):
        super().__init__(413, _too_large(limit, got))


async def _send_json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await _send_json(send, 400, {"error": "bad request", "detail": "invalid Content-Length"})
                if declared > self.max_body:
                    return await _send_json(send, 413, {"error": "payload too large",
                                                        "detail": _too_large(self.max_body, f"{declared:,} bytes")})
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body, f"over {self.max_body:,} bytes")
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as e:  # raised outside the router's exception handlers
            if not started:
                await _send_json(send, 413, {"error": e.error, "detail": e.detail})


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline scripts on the page) and friends on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else CSP

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
