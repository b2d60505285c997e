"""The FastAPI application: the page at `/`, the JSON API under `/api`, OpenAPI docs at `/docs`."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from . import errors
from .errors import ApiError
from .limits import BodyLimitMiddleware, SecurityHeadersMiddleware
from .runner import Runner
from .schemas import CheckRequest, ErrorOut, HealthOut, ReportOut, RestoreOut, TraceOut, TraceRequest
from .tracing import IndexUnavailable, TraceIndex

STATIC = Path(__file__).parent / "static"
MAX_BODY = 1_000_000
MAX_CHARS = 100_000
TIMEOUT = 30.0
WARMUP_TEXT = "The minister mentioned on Thursday that the information company had issued a press release."

ERRORS = {413: {"model": ErrorOut, "description": "Body or text over the limit"},
          422: {"model": ErrorOut, "description": "Invalid request"},
          503: {"model": ErrorOut, "description": "Too many requests in flight"},
          504: {"model": ErrorOut, "description": "Timed out"}}


def _fastapi(**kwargs) -> FastAPI:
    # The docs page must work offline: fastapi-offline serves Swagger UI from the package, not a CDN.
    try:
        from fastapi_offline import FastAPIOffline
    except ImportError:
        return FastAPI(**kwargs)
    return FastAPIOffline(**kwargs)


def create_app(model: str = "default", index: Any = None, max_body: int = MAX_BODY, max_chars: int = MAX_CHARS,
               timeout: float = TIMEOUT, workers: int = 2, max_pending: int = 64, threshold: float | None = None,
               checker: Any = None, warm: bool = True) -> FastAPI:
    """Build the app. The checker is loaded here, once, and shared by every request.

    `index`: path of an archive index (`unspin index add`) to enable POST /api/trace, or None.
    `threshold`: span confidence needed to flag and restore (None: the checker's calibrated threshold);
    a request may override it.
    `checker`: an already loaded object with `.check(text, id=None, threshold=None) -> Report`
    (default: `get_checker(model)`).
    Raises `IndexUnavailable` if `index` is given but cannot be opened.
    """
    tracer = TraceIndex(index) if index is not None else None  # a bad index fails before the slow load
    if checker is None:
        from ..checker import get_checker

        checker = get_checker(model)
    if warm:  # load lazy parts now so the first user does not wait for them
        checker.check(WARMUP_TEXT)
    runner = Runner(workers=workers, timeout=timeout, max_pending=max_pending)
    model_name = str(getattr(checker, "model_name", model))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        runner.close()

    app = _fastapi(title="unspin", version=__version__, lifespan=lifespan,
                   description="Detect, flag, restore and trace spun English text. Every error is JSON "
                               '`{"error", "detail"}`.')
    app.state.checker, app.state.runner, app.state.index = checker, runner, tracer
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_body=max_body)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: the 413 from the limit gets headers too
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def text_of(body) -> str:
        if len(body.text) > max_chars:
            raise ApiError(413, f"the text has {len(body.text):,} characters; the limit is {max_chars:,} "
                                "(split it into smaller parts)", "text too long")
        return body.text

    async def report(body: CheckRequest):
        text = text_of(body)
        t = threshold if body.threshold is None else body.threshold
        return await runner.run(checker.check, text, body.id, t, what="the check")

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/api/health", response_model=HealthOut, tags=["service"])
    async def health():
        """Liveness, the loaded model, whether tracing is available, and the limits."""
        return {"status": "ok", "model": model_name, "index": tracer is not None, "version": __version__,
                "limits": {"max_body": max_body, "max_chars": max_chars, "timeout": timeout, "threshold": threshold}}

    @app.post("/api/check", response_model=ReportOut, responses=ERRORS, tags=["check"])
    async def check(body: CheckRequest):
        """Score a text for spinning; flag spun spans with their proposed originals (the EVALUATION.md report)."""
        return JSONResponse((await report(body)).to_dict())

    @app.post("/api/restore", response_model=RestoreOut, responses=ERRORS, tags=["check"])
    async def restore(body: CheckRequest):
        """The most likely original wording of a text."""
        return {"restored": (await report(body)).restored}

    @app.post("/api/trace", response_model=TraceOut, responses={404: {"model": ErrorOut}, **ERRORS}, tags=["trace"])
    async def trace(body: TraceRequest):
        """Which archived documents the text was spun from (needs `unspin serve --index`)."""
        if tracer is None:
            raise ApiError(404, "no archive index is configured on this server; start it with "
                                "`unspin serve --index PATH`", "tracing not enabled")
        text = text_of(body)
        return {"matches": await runner.run(tracer.trace, text, body.k, what="the trace")}

    return app


__all__ = ["create_app", "IndexUnavailable"]
