"""Propose: every free word or short phrase the lexicon can map back to an original.

Words inside quotations and capitalised words taken for names are proposed too, but *locked*: they may
be flagged as spun (real spinners rewrite quoted speech and titles: "Judge" -> "Decide") and are never
restored, because those are the regions where a wrong change does the most harm."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .document import Document
from .lexicon import MAX_PHRASE, Lexicon
from .lexicon.reverse import Candidate
from .tokenize import normalize


@dataclass(slots=True)
class Proposal:
    i: int  # token range [i, j) in the document
    j: int
    spun: tuple[str, ...]  # normalised spun tokens
    candidates: tuple[Candidate, ...]
    static: "np.ndarray | None" = None  # lexicon-only features of the candidates (features.static_features)
    locked: bool = False  # inside a quotation or a name: may be flagged, never restored


def _runs(doc: Document, labels: list) -> list[tuple[int, int]]:
    """Maximal runs of tokens inside one sentence that share a label other than None (one per token)."""
    runs = []
    for a, b in doc.sentences:
        start, current = a, None
        for k, here in enumerate(labels[a:b] + [None], a):
            if here != current:
                if current is not None:
                    runs.append((start, k))
                start, current = k, here
    return runs


def free_runs(doc: Document) -> list[tuple[int, int]]:
    """Maximal runs of unprotected word tokens inside one sentence."""
    return _runs(doc, [True if t.is_word and t.protected is None else None for t in doc.tokens])


LOCKABLE = frozenset({"quote", "entity"})


def locked_runs(doc: Document) -> list[tuple[int, int]]:
    """Maximal runs of word tokens inside one sentence that are all quoted or all taken for names."""
    return _runs(doc, [t.protected if t.is_word and t.protected in LOCKABLE else None for t in doc.tokens])


def propose(doc: Document, lexicon: Lexicon, max_phrase: int = MAX_PHRASE, words: list[str] | None = None,
            locked: bool = True) -> list[Proposal]:
    """`words`: the document's normalised tokens, when the caller has them already."""
    if words is None:
        words = [normalize(t.text) for t in doc.tokens]
    out = []
    runs = [(a, b, False) for a, b in free_runs(doc)]
    if locked:
        runs += [(a, b, True) for a, b in locked_runs(doc)]
    candidates, static = lexicon.candidates, lexicon.static
    for a, b, lock in sorted(runs):
        for i in range(a, b):
            phrase = words[i]
            for j in range(i + 1, min(i + max_phrase, b) + 1):
                if j > i + 1:
                    phrase = f"{phrase} {words[j - 1]}"
                cands = candidates(phrase)
                if cands:
                    out.append(Proposal(i, j, tuple(words[i:j]), cands, static(phrase, cands), lock))
    return out
