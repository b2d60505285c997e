"""A document's words as the n-gram stage reads them: how often any short phrase occurs in the document
(and inside its protected regions), and the LM context either side of every position. What
`features.DocVocabulary` and `features.context` + `NgramScorer._words` answer one phrase or position at
a time, for arrays of them."""
from __future__ import annotations

import numpy as np

from .document import Document
from .lm.ngram import PAD
from .tokenize import normalize

LEFT_WINDOW, RIGHT_WINDOW = 12, 4  # as features.LEFT_WINDOW, RIGHT_WINDOW
_BREAK = {".", "!", "?", ";", ":"}  # as lm.ngram._PUNCT_BREAK
MAX_WORDS = 4  # phrases up to this long are counted by packed keys, longer ones one by one
_BITS = 16  # a document-local word id per 16 bits of a key
MAX_INTERNED = 1 << 22  # the interning table is reset beyond this
_USED = np.arange(MAX_WORDS) < np.arange(MAX_WORDS + 1)[:, None]  # [n]: the first n of MAX_WORDS slots
_SHIFTS = _BITS * np.arange(MAX_WORDS)
_DENSE_MAX = 1 << 20  # up to this many interned words, document-local ids are looked up in a dense array


_WORD, _BREAKS = 1, 2  # a token's kind: starts alphanumeric (an LM word), sentence punctuation


def _token_info(text: str, cache: dict, intern: dict[str, int], vocab: dict[str, int]) -> tuple:
    word = normalize(text)
    hit = cache[text] = (word, intern.setdefault(word, len(intern)), vocab.get(word, -1),  # lm_word == normalize for words
                         (_WORD if text[:1].isalnum() else 0) | (_BREAKS if text in _BREAK else 0))
    return hit


class DocWords:
    def __init__(self, doc: Document, intern: dict[str, int], vocab: dict[str, int], cache: dict | None = None):
        """`cache`: what a token's text gives (normalised word, interned id, LM id, kind), kept across
        documents by the caller (and cleared with `intern`)."""
        self.doc = doc
        self.tokens = doc.tokens
        n = len(doc.tokens)
        if cache is None:
            cache = {}
        known = cache.get
        info = [known(t.text) or _token_info(t.text, cache, intern, vocab) for t in doc.tokens]
        words, ids, lm, kind = zip(*info) if n else ((), (), (), ())
        self.words = list(words)
        self.uniq, self.local = np.unique(np.array(ids, dtype=np.int64), return_inverse=True)  # document-local word ids
        self._n_interned = len(intern)
        self._lookup: np.ndarray | None = None
        self.packable = len(self.uniq) < (1 << (_BITS - 1)) - 1  # keys (of ids + 1) stay non-negative int64
        self.prot = np.fromiter((t.protected is not None for t in doc.tokens), dtype=bool, count=n)
        self._grams_cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._first: dict[str, list[int]] | None = None
        kind = np.array(kind, dtype=np.int64)
        self._contexts(np.array(lm + (PAD,), dtype=np.int64), (kind & _WORD) > 0, (kind & _BREAKS) > 0,
                       vocab.get("<s>", -1))

    def _contexts(self, lm: np.ndarray, is_word: np.ndarray, is_break: np.ndarray, bos: int) -> None:
        """LM ids of the two words before each position (<s> where there are fewer) and of the two
        from each position on (PAD where there are fewer): words are tokens starting alphanumeric,
        sentence punctuation cuts the context, at most LEFT_WINDOW / RIGHT_WINDOW tokens are read.
        `lm`: each token's LM id, then PAD."""
        n = len(is_word)
        pos = np.arange(n)
        # before position i (0..n): the last two words and the last break
        last_word = np.concatenate([[-1], np.maximum.accumulate(np.where(is_word, pos, -1))])
        last_break = np.concatenate([[-1], np.maximum.accumulate(np.where(is_break, pos, -1))])
        at = np.arange(n + 1)
        w1 = last_word[at]
        w2 = last_word[np.maximum(w1, 0)]  # last_word[k] looks before k
        start = np.maximum(at - LEFT_WINDOW, 0)
        ok1 = (w1 >= start) & (w1 > last_break)
        ok2 = ok1 & (w2 >= start) & (w2 > last_break)
        self.left = np.stack([np.where(ok2, lm[w2], bos), np.where(ok1, lm[w1], bos)], axis=1)
        # from position j on: the next two words and the next break
        next_word = np.concatenate([np.minimum.accumulate(np.where(is_word, pos, n)[::-1])[::-1], [n, n]])
        next_break = np.concatenate([np.minimum.accumulate(np.where(is_break, pos, n)[::-1])[::-1], [n]])
        r1 = next_word[at]
        r2 = next_word[np.minimum(r1 + 1, n + 1)]
        end = at + RIGHT_WINDOW
        ok1 = (r1 < end) & (r1 < next_break[at])
        ok2 = ok1 & (r2 < end) & (r2 < next_break[at])
        self.right = np.stack([np.where(ok1, lm[np.minimum(r1, n)], PAD), np.where(ok2, lm[np.minimum(r2, n)], PAD)], axis=1)

    def _grams(self):
        """Keys of the phrases of 1..MAX_WORDS words starting at each position (row m - 1; -1 where
        the phrase would run past the end), all of them sorted, and the running count of protected
        starts in sorted order. A key packs the document-local ids + 1 of its words, so phrases of
        different lengths never share one."""
        if self._grams_cache is None:
            n = len(self.local)
            word = self.local.astype(np.int64) + 1
            at = np.full((MAX_WORDS, n), -1, dtype=np.int64)
            at[0] = word
            for m in range(1, MAX_WORDS):
                at[m, : n - m] = at[m - 1, : n - m] | (word[m:] << (_BITS * m))
            keys = at.ravel()
            real = np.flatnonzero(keys >= 0)
            order = real[np.argsort(keys[real], kind="stable")]
            prot = np.concatenate([[0], np.cumsum(np.tile(self.prot, MAX_WORDS)[order])])
            self._grams_cache = (at, keys[order], prot)
        return self._grams_cache

    def _local(self, words: np.ndarray) -> np.ndarray:
        """The document-local id of each interned word id (-1: not in the document). Words interned
        after the document were not in it."""
        if self._n_interned > _DENSE_MAX:
            at = np.minimum(np.searchsorted(self.uniq, words), len(self.uniq) - 1)
            return np.where(self.uniq[at] == words, at, -1)
        if self._lookup is None:
            self._lookup = np.full(self._n_interned + 1, -1, dtype=np.int64)  # [-1] stays -1
            self._lookup[self.uniq] = np.arange(len(self.uniq))
        return self._lookup[np.minimum(words, self._n_interned)]

    def counts(self, words: np.ndarray, lens: np.ndarray, i: np.ndarray, j: np.ndarray):
        """For each phrase (interned word ids, -1 padded, and length), how often it starts anywhere
        outside [i, j) and how often inside a protected region; `todo` marks the phrases left to
        `occurrences` (too long to pack)."""
        n_any = np.zeros(len(lens))
        n_prot = np.zeros(len(lens))
        todo = (lens > MAX_WORDS) | (not self.packable)
        if not self.packable or not len(lens):
            return n_any, n_prot, todo
        # a phrase with a word the document lacks occurs nowhere: most lack the first already
        sel = np.flatnonzero((self._local(words[:, 0]) >= 0) & ~todo)
        local = self._local(words[sel])
        used = _USED[lens[sel]]
        found = ~(used & (local < 0)).any(axis=1)
        sel, local, used = sel[found], local[found], used[found]
        if not len(sel):
            return n_any, n_prot, todo
        q = (np.where(used, local + 1, 0) << _SHIFTS).sum(axis=1)
        at_keys, ordered, prot = self._grams()
        lo, hi = np.searchsorted(ordered, q, "left"), np.searchsorted(ordered, q, "right")
        a, p = hi - lo, prot[hi] - prot[lo]
        si, sj, row = i[sel], j[sel], lens[sel] - 1
        last = len(self.local) - 1
        for o in range(int((sj - si).max())):  # starts inside the phrase's own span do not count
            start = np.minimum(si + o, last)
            inside = (si + o < sj) & (at_keys[row, start] == q)
            a -= inside
            p -= inside & self.prot[start]
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
