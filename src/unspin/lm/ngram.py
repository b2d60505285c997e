"""A fast n-gram scorer: the CMU US English trigram model that ships with pocketsphinx, with
pocketsphinx's own probabilities and back-off, read into numpy arrays (`lm.trie`) so that every
candidate of a document is scored in one batch."""
from __future__ import annotations

import functools
import math
import os
from typing import Sequence

import numpy as np

from .trie import INVALID, TrigramArrays

LOG_BASE = math.log(1.0001)  # pocketsphinx's LogMath base
OOV_LOGP = -16.0
OOV_RAW = -400_000  # raw scores below this are pocketsphinx's "zero" (an unknown word, or <s> predicted)
PAD = -2  # an empty cell of a row of word ids (-1 is an unknown word)
_PUNCT_BREAK = {".", "!", "?", ";", ":"}


def lm_word(token: str) -> str:
    return token.lower().replace("’", "'")


class NgramScorer:
    name = "ngram"

    def __init__(self, lm: TrigramArrays):
        self.lm = lm
        self.bos = lm.vocab.get("<s>", -1)

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "NgramScorer":
        import importlib.util

        spec = importlib.util.find_spec("pocketsphinx")  # only its data file is read: no need to import it
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the n-gram scorer needs pocketsphinx's model: pip install pocketsphinx")
        path = os.path.join(spec.submodule_search_locations[0], "model", "en-us", "en-us.lm.bin")
        return cls(TrigramArrays.load(path))

    def logp(self, word: str, h1: str, h2: str) -> float:
        """ln P(word | h2 h1), h1 the previous word."""
        w, a, b = self.lm.ids([word, h1, h2])
        raw = int(self.lm.raw(np.array([w]), np.array([a]), np.array([b]))[0])
        return OOV_LOGP if raw < OOV_RAW else raw * LOG_BASE

    def ids(self, words: Sequence[str]) -> np.ndarray:
        return self.lm.ids(words)

    @staticmethod
    def _words(tokens: Sequence[str], from_right: bool) -> list[str]:
        """Lower-cased words of a context, cut at sentence punctuation, other punctuation skipped."""
        out = []
        seq = tokens if from_right else reversed(tokens)
        for t in seq:
            if t in _PUNCT_BREAK:
                break
            if t[:1].isalnum():
                out.append(lm_word(t))
            if len(out) == 2:
                break
        return out if from_right else out[::-1]

    def context_ids(self, left: Sequence[str], right: Sequence[str]) -> tuple[int, int, int, int]:
        """(h2, h1, r1, r2): the two words before a candidate (<s> when the sentence starts) and the
        two after it (PAD when there are fewer)."""
        lw = ["<s>", "<s>"] + self._words(left, False)
        rw = self._words(right, True)
        get = self.lm.vocab.get  # as lm.ids, without an array for four words
        ids = [get(w, INVALID) for w in lw[-2:] + rw] + [PAD, PAD]
        return ids[0], ids[1], ids[2], ids[3]

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        """ln P of each row of word ids (PAD-padded on the right; the first two ids are the history of
        the third), summed left to right like the scalar definition."""
        cells, raw = self.lm.raw_cells(rows, PAD)
        terms = np.zeros((rows.shape[1] - 2) * len(rows))
        terms[cells] = np.where(raw < OOV_RAW, OOV_LOGP, raw * LOG_BASE)
        terms = terms.reshape(-1, len(rows))  # column by column
        total = np.zeros(len(rows))
        for k in range(len(terms)):
            total = total + terms[k]
        return total

    def score(self, left, candidates, right) -> list[float]:
        return self.score_batch([(left, candidates, right)])[0]

    def score_batch(self, queries) -> list[list[float]]:
        rows, sizes = [], []
        for left, cands, right in queries:
            h2, h1, r1, r2 = self.context_ids(left, right)
            tail = [x for x in (r1, r2) if x != PAD]
            for c in cands:
                rows.append([h2, h1] + [int(x) for x in self.lm.ids([lm_word(w) for w in c])] + tail)
            sizes.append(len(cands))
        if not rows:
            return [[] for _ in queries]
        width = max(map(len, rows))
        mat = np.full((len(rows), width), PAD, dtype=np.int64)
        for k, row in enumerate(rows):
            mat[k, : len(row)] = row
        scores = self.score_rows(mat).tolist()
        out, k = [], 0
        for n in sizes:
            out.append(scores[k : k + n])
            k += n
        return out
