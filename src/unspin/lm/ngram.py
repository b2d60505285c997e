"""A fast n-gram scorer over the unigram and bigram counts that ship with symspellpy (from the Google
Books n-grams), with stupid-backoff smoothing (Brants et al. 2007): cheap enough for every token."""
from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Sequence

_BACKOFF = math.log(0.4)


class NgramScorer:
    name = "ngram"

    def __init__(self, unigrams: dict[str, int], bigrams: dict[tuple[str, str], int]):
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = float(sum(unigrams.values()))
        self._log_total = math.log(self.total)
        self._floor = math.log(0.5) - self._log_total

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "NgramScorer":
        base = resources.files("symspellpy")
        unigrams: dict[str, int] = {}
        with (base / "frequency_dictionary_en_82_765.txt").open(encoding="utf-8") as f:
            for line in f:
                w, c = line.split()
                unigrams[w] = int(c)
        bigrams: dict[tuple[str, str], int] = {}
        with (base / "frequency_bigramdictionary_en_243_342.txt").open(encoding="utf-8") as f:
            for line in f:
                a, b, c = line.split()
                bigrams[(a, b)] = int(c)
        return cls(unigrams, bigrams)

    def unigram_logp(self, w: str) -> float:
        c = self.unigrams.get(w)
        return math.log(c) - self._log_total if c else self._floor

    def bigram_logp(self, a: str, b: str) -> float:
        c = self.bigrams.get((a, b))
        if c:
            ca = self.unigrams.get(a)
            if ca and ca > c:
                return math.log(c / ca)
        return _BACKOFF + self.unigram_logp(b)

    def sequence_logp(self, words: Sequence[str]) -> float:
        if not words:
            return 0.0
        lp = self.unigram_logp(words[0])
        for a, b in zip(words, words[1:]):
            lp += self.bigram_logp(a, b)
        return lp

    def score(self, left, candidates, right) -> list[float]:
        # only the bigrams touching the candidate differ between candidates
        prev = [left[-1]] if left else []
        nxt = [right[0]] if right else []
        return [self.sequence_logp(prev + list(c) + nxt) - (self.unigram_logp(prev[0]) if prev else 0.0)
                for c in candidates]

    def score_batch(self, queries) -> list[list[float]]:
        return [self.score(l, c, r) for l, c, r in queries]
