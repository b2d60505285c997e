"""A document's words as the n-gram stage reads them: interned normalised words, how often any short
phrase occurs in the document (and inside its protected regions), and the LM context either side of
a position. What `features.DocVocabulary` and `features.context` answer one phrase at a time, for
arrays of phrases."""
from __future__ import annotations

import numpy as np

from .document import Document
from .lm.ngram import PAD, lm_word
from .tokenize import normalize

LEFT_WINDOW, RIGHT_WINDOW = 12, 4  # as features.LEFT_WINDOW, RIGHT_WINDOW
_BREAK = {".", "!", "?", ";", ":"}  # as lm.ngram._PUNCT_BREAK
ID_BITS = 21  # phrases of up to 3 interned words are packed into one int64 key
MAX_PACKED = 3
MAX_INTERNED = 1 << 20  # the interning table is reset beyond this (a 1M-character text adds < 2^20 words)


def pack(ids) -> int:
    """The key of a phrase of interned word ids, or -1 when it is too long to pack."""
    if len(ids) > MAX_PACKED or max(ids) >> ID_BITS:
        return -1
    key = 0
    for k, x in enumerate(ids):
        key |= x << (ID_BITS * k)
    return key


class DocWords:
    def __init__(self, doc: Document, intern: dict[str, int], vocab: dict[str, int]):
        self.doc = doc
        self.tokens = doc.tokens
        self.words = [normalize(t.text) for t in doc.tokens]
        get = intern.setdefault
        self.ids = np.fromiter((get(w, len(intern)) for w in self.words), dtype=np.int64, count=len(self.words))
        self.prot = np.fromiter((t.protected is not None for t in doc.tokens), dtype=bool, count=len(self.words))
        self.packable = len(intern) < 1 << ID_BITS
        self.vocab = vocab
        self._grams: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._first: dict[str, list[int]] | None = None
        self._left: dict[int, tuple[int, int]] = {}
        self._right: dict[int, tuple[int, int]] = {}

    def _gram(self, m: int):
        """Keys of the m-word phrases starting at each position, the same sorted, and the running count
        of protected starts in sorted order."""
        hit = self._grams.get(m)
        if hit is None:
            n = max(len(self.ids) - m + 1, 0)
            keys = np.zeros(n, dtype=np.int64)
            for k in range(m):
                keys |= self.ids[k : k + n] << (ID_BITS * k)
            order = np.argsort(keys, kind="stable")
            prot = np.concatenate([[0], np.cumsum(self.prot[:n][order])])
            hit = self._grams[m] = (keys, keys[order], prot)
        return hit

    def counts(self, keys: np.ndarray, lens: np.ndarray, i: np.ndarray, j: np.ndarray):
        """For each phrase (packed key, words), how often it starts anywhere outside [i, j), and how
        often inside a protected region; `todo` marks the phrases left to `occurrences` (unpackable)."""
        n_any = np.zeros(len(keys))
        n_prot = np.zeros(len(keys))
        todo = (keys < 0) | (lens > MAX_PACKED) | (not self.packable)
        for m in range(1, MAX_PACKED + 1):
            sel = np.flatnonzero((lens == m) & ~todo)
            if not len(sel):
                continue
            at_keys, ordered, prot = self._gram(m)
            if not len(at_keys):
                continue
            q = keys[sel]
            lo, hi = np.searchsorted(ordered, q, "left"), np.searchsorted(ordered, q, "right")
            a, p = (hi - lo).astype(float), (prot[hi] - prot[lo]).astype(float)
            si, sj = i[sel], j[sel]
            last = len(at_keys) - 1
            for o in range(int((sj - si).max())):  # starts inside the phrase's own span do not count
                at = si + o
                inside = (at < sj) & (at <= last) & (at_keys[np.minimum(at, last)] == q)
                a -= inside
                p -= inside & self.prot[np.minimum(at, len(self.prot) - 1)]
            n_any[sel], n_prot[sel] = a, p
        return n_any, n_prot, todo

    def occurrences(self, phrase: tuple[str, ...], skip: range) -> tuple[int, int]:
        """As `features.DocVocabulary.occurrences`: (anywhere else, inside protected regions)."""
        if self._first is None:
            self._first = {}
            for k, w in enumerate(self.words):
                self._first.setdefault(w, []).append(k)
        n_any = n_prot = 0
        for k in self._first.get(phrase[0], ()):
            if k in skip or tuple(self.words[k : k + len(phrase)]) != phrase:
                continue
            n_any += 1
            n_prot += bool(self.prot[k])
        return n_any, n_prot

    def left(self, i: int) -> tuple[int, int]:
        """LM ids of the two words before token i, <s> for missing ones (`features.context` and
        `NgramScorer._words` for an unrestored document)."""
        hit = self._left.get(i)
        if hit is None:
            out = []
            for t in reversed(self.tokens[max(0, i - LEFT_WINDOW) : i]):
                if t.text in _BREAK:
                    break
                if t.text[:1].isalnum():
                    out.append(lm_word(t.text))
                if len(out) == 2:
                    break
            lw = (["<s>", "<s>"] + out[::-1])[-2:]
            get = self.vocab.get
            hit = self._left[i] = (get(lw[0], -1), get(lw[1], -1))
        return hit

    def right(self, j: int) -> tuple[int, int]:
        """LM ids of the two words from token j on, PAD for missing ones."""
        hit = self._right.get(j)
        if hit is None:
            out = []
            for t in self.tokens[j : j + RIGHT_WINDOW]:
                if t.text in _BREAK:
                    break
                if t.text[:1].isalnum():
                    out.append(lm_word(t.text))
                if len(out) == 2:
                    break
            get = self.vocab.get
            ids = [get(w, -1) for w in out] + [PAD, PAD]
            hit = self._right[j] = (ids[0], ids[1])
        return hit
