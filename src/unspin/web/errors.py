"""Every error the API returns is JSON `{"error": short message, "detail": explanation}`, never a trace."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("unspin.web")

REASONS = {400: "bad request", 404: "not found", 405: "method not allowed", 413: "payload too large",
           415: "unsupported media type", 422: "invalid request", 500: "internal error",
           503: "server busy", 504: "timeout"}


class ApiError(StarletteHTTPException):
    """An HTTP error with a short `error` and a human `detail`."""

    def __init__(self, status_code: int, detail: str, error: str | None = None):
        super().__init__(status_code=status_code, detail=detail)
        self.error = error or REASONS.get(status_code, "error")


def error_response(status_code: int, detail: str, error: str | None = None, headers=None) -> JSONResponse:
    return JSONResponse({"error": error or REASONS.get(status_code, "error"), "detail": detail},
                        status_code=status_code, headers=headers)


def _validation_detail(exc: RequestValidationError) -> str:
    # Name the field and the problem; never echo the input back (it may be huge or hostile).
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request body is not valid"


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        error = getattr(exc, "error", None)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error_response(exc.status_code, detail, error, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return error_response(422, _validation_detail(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "the server failed on this request; it has been logged")
