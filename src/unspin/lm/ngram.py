"""A fast n-gram scorer: the CMU US English trigram model that ships with pocketsphinx, queried through
pocketsphinx's own back-off implementation (a few microseconds a query): cheap enough for every token."""
from __future__ import annotations

import functools
import math
import os
from typing import Sequence

LOG_BASE = math.log(1.0001)  # pocketsphinx's LogMath base
OOV_LOGP = -16.0
_PUNCT_BREAK = {".", "!", "?", ";", ":"}


class NgramScorer:
    name = "ngram"

    def __init__(self, lm):
        self.lm = lm

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "NgramScorer":
        import pocketsphinx

        pocketsphinx.set_loglevel("FATAL")
        path = os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")
        return cls(pocketsphinx.NGramModel.readfile(path))

    def logp(self, word: str, h1: str, h2: str) -> float:
        """ln P(word | h2 h1), h1 the previous word."""
        raw = self.lm.prob([word, h1, h2])
        return OOV_LOGP if raw < -400_000 else raw * LOG_BASE

    @staticmethod
    def _words(tokens: Sequence[str], from_right: bool) -> list[str]:
        """Lower-cased words of a context, cut at sentence punctuation, other punctuation skipped."""
        out = []
        seq = tokens if from_right else reversed(tokens)
        for t in seq:
            if t in _PUNCT_BREAK:
                break
            if t[:1].isalnum():
                out.append(t.lower().replace("’", "'"))
            if len(out) == 2:
                break
        return out if from_right else out[::-1]

    def score(self, left, candidates, right) -> list[float]:
        lw = ["<s>", "<s>"] + self._words(left, False)
        rw = self._words(right, True)
        out = []
        for c in candidates:
            seq = lw[-2:] + [w.lower().replace("’", "'") for w in c] + rw
            out.append(sum(self.logp(seq[k], seq[k - 1], seq[k - 2]) for k in range(2, len(seq))))
        return out

    def score_batch(self, queries) -> list[list[float]]:
        return [self.score(l, c, r) for l, c, r in queries]
