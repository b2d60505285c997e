"""The report: score, verdict, spans with offsets and proposed originals. `restored` is derived from the
spans, never edited separately."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str
    original: str
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {"start": self.start, "end": self.end, "text": self.text, "original": self.original,
             "confidence": round(self.confidence, 4)}
        if self.evidence:
            d["evidence"] = self.evidence
        return d


def apply_spans(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(s.original)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


@dataclass(slots=True)
class Report:
    text: str
    score: float
    spun: bool
    spans: list[Span] = field(default_factory=list)
    id: str | None = None
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.spans = sorted(self.spans, key=lambda s: s.start)
        for a, b in zip(self.spans, self.spans[1:]):
            if b.start < a.end:
                raise ValueError(f"overlapping spans {a} and {b}")
        for s in self.spans:
            if self.text[s.start : s.end] != s.text:
                raise ValueError(f"span {s.start}:{s.end} does not index the text")

    @property
    def restored(self) -> str:
        return apply_spans(self.text, self.spans)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.id is not None:
            d["id"] = self.id
        d.update(score=round(self.score, 4), spun=self.spun, spans=[s.to_dict() for s in self.spans],
                 restored=self.restored)
        if self.warnings:
            d["warnings"] = self.warnings
        if self.details:
            d["details"] = self.details
        return d
