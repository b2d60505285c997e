"""Tokenisation with character offsets.

The pattern is the one EVALUATION.md binds the metrics to, so that every span the toolkit flags lines
up with the tokens it is scored on. It is a single compiled regex; a general tokenizer (spaCy) would
split contractions and hyphens differently and break that alignment.
"""
from __future__ import annotations

import re

from .document import Token

TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
_SENTENCE_END = {".", "!", "?"}
_TYPO_MAP = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "[": "(", "]": ")"})


def normalize(token_text: str) -> str:
    """The comparison form of EVALUATION.md: lower-cased, typographic quotes and dashes made plain."""
    return token_text.lower().translate(_TYPO_MAP)


def tokenize(text: str) -> list[Token]:
    return [
        Token(m.group(), m.start(), m.end(), i, m.group()[0].isalnum() or m.group()[0] == "_")
        for i, m in enumerate(TOKEN_RE.finditer(text))
    ]


def split_sentences(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Sentence boundaries as token index ranges: end punctuation followed by a capital, or a blank line."""
    spans, begin = [], 0
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is None:
            break
        blank_line = "\n" in text[tok.end : nxt.start]
        if blank_line or (tok.text in _SENTENCE_END and (nxt.text[:1].isupper() or not nxt.is_word)):
            spans.append((begin, i + 1))
            begin = i + 1
    if begin < len(tokens):
        spans.append((begin, len(tokens)))
    return spans
