"""Tracing a spun copy to its source: spin-robust fingerprints, a SQLite archive index, and a passage
alignment that reports coverage and the swapped words.

`restore_by_alignment(index, text)` turns the aligned substitutions of the best match into report
spans, so that `check`/`restore --index` restore the source's own wording where the text was copied.
"""
from __future__ import annotations

from ..report import Span
from .align import Alignment, Passage, Substitution, TokenSeq, align
from .fingerprint import Fingerprinter
from .index import DEFAULT_THRESHOLD, Index, IndexError_, Match, QueryTooLarge

__all__ = ["Index", "IndexError_", "Match", "QueryTooLarge", "Fingerprinter", "Passage", "Substitution",
           "Alignment", "TokenSeq", "align", "restore_by_alignment", "DEFAULT_THRESHOLD"]


def restore_by_alignment(index: "Index | str", text: str, min_coverage: float = 0.5) -> tuple[Match | None, list[Span]]:
    """The best archived source of `text` and its aligned substitutions as report spans.

    Returns `(None, [])` when no source covers at least `min_coverage` of the query's words. Each span's
    `text` is the query's words and `original` the source's words (None-free: only when the index keeps
    texts); confidence grows with the match's coverage. Applying the spans gives the source's wording in
    every aligned passage.
    """
    if isinstance(index, str):
        index = Index(index, create=False, readonly=True)
    matches = index.trace(text, k=1)
    if not matches or matches[0].coverage < min_coverage:
        return None, []
    m = matches[0]
    spans = []
    for s in m.substitutions:
        if s.source_text is None or s.source_text == s.query_text:
            continue
        conf = min(0.99, 0.5 + 0.5 * m.coverage)
        spans.append(Span(s.query_start, s.query_end, s.query_text, s.source_text, conf,
                          {"source": "index", "source_id": m.id, "coverage": round(m.coverage, 4)}))
    return m, spans
