"""Request and response shapes, for validation and for the OpenAPI page at /docs."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

EXAMPLE = "Lukashenko mentioned on Thursday that his nation should be concerned."


class CheckRequest(BaseModel):
    text: str = Field(description="The text to check (UTF-8, at most the server's max_chars characters).",
                      examples=[EXAMPLE])
    id: str | None = Field(None, description="Copied into the report, as in `unspin check --jsonl`.")
    threshold: float | None = Field(None, ge=0.0, le=1.0, description=(
        "Span confidence needed to flag and restore (default: the server's, normally the calibrated one); "
        "lower flags more, as `unspin check --threshold`."))


class TraceRequest(BaseModel):
    text: str = Field(description="The suspicious text to trace to its source.", examples=[EXAMPLE])
    k: int = Field(5, ge=1, le=50, description="How many matches to return.")


class SpanOut(BaseModel):
    start: int = Field(description="Character offset into the input (Python string index).")
    end: int = Field(description="End offset, exclusive.")
    text: str = Field(description="input[start:end]")
    original: str = Field(description="The proposed original wording; equal to `text` for a span flagged as "
                                      "spun with no confident original (evidence.flag_only).")
    confidence: float
    evidence: dict[str, Any] | None = None


class ReportOut(BaseModel):
    """The report of EVALUATION.md."""
    id: str | None = None
    score: float = Field(description="In [0, 1]; higher = more likely spun.")
    spun: bool = Field(description="The verdict at the calibrated threshold.")
    spans: list[SpanOut]
    restored: str = Field(description="The input with every span replaced by its original.")
    warnings: list[str] | None = None
    details: dict[str, Any] | None = None


class RestoreOut(BaseModel):
    restored: str


class TraceOut(BaseModel):
    matches: list[dict[str, Any]] = Field(
        description='Best first: {"id","score","coverage","passages","substitutions","metadata"}.')


class Limits(BaseModel):
    max_body: int = Field(description="Largest request body, in bytes.")
    max_chars: int = Field(description="Longest text, in characters.")
    timeout: float = Field(description="Seconds a request may take.")
    threshold: float | None = Field(description="The server's span threshold (null: the calibrated one).")


class HealthOut(BaseModel):
    status: str
    model: str
    index: bool = Field(description="Whether an archive index is configured (POST /api/trace works).")
    version: str
    limits: Limits


class ErrorOut(BaseModel):
    error: str = Field(description="A short message.")
    detail: str = Field(description="What went wrong and what to do.")
