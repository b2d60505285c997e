"""The document model: the caller's text, its tokens with character offsets, and protected regions.

Offsets are Python string indices into the caller's text (end exclusive), always.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int
    index: int
    is_word: bool
    protected: str | None = None  # why it is protected ("quote", "entity", "number", "url", ...), or None

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(slots=True)
class Document:
    text: str
    tokens: list[Token] = field(default_factory=list)
    protected: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, kind)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # token index ranges [i, j)
    id: str | None = None

    @property
    def n_words(self) -> int:
        return sum(1 for t in self.tokens if t.is_word)
