"""The lexicon: for a spun word or phrase, which originals could the spinner have replaced with it?

Three sources, merged: the reverse thesaurus (mythes + WordNet + Moby, re-inflected), the grammar
table (function words and contractions) and a phrase table learned from aligned real pairs.
"""
from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

from .frequency import zipf
from .grammar import reverse_pairs
from .reverse import LEARNED, Candidate, ReverseThesaurus

GRAMMAR = 16
MAX_PHRASE = 4
MAX_CANDIDATES = 20


_N_THESAURI = [bin(bits).count("1") for bits in range(8)]


def prior_rank(c: Candidate) -> float:
    """A cheap static ordering used to keep the most plausible candidates before any LM scoring."""
    return 4.0 * bool(c.sources & LEARNED) + 0.5 * c.count + 2.0 * bool(c.sources & GRAMMAR) \
        + _N_THESAURI[c.sources & 7] + 1.0 * sum(map(zipf, c.words)) / len(c.words)


def load_phrase_table(path: str | Path | None = None) -> dict[str, dict[str, int]]:
    """spun phrase -> {original phrase: count}, from `scripts/learn_phrase_table.py`."""
    if path is None:
        src = resources.files("unspin.lexicon") / "data" / "phrase_table.json"
        if not src.is_file():
            return {}
        return json.loads(src.read_text(encoding="utf-8"))
    return json.loads(Path(path).read_text(encoding="utf-8"))


class Lexicon:
    def __init__(self, thesaurus: ReverseThesaurus | None = None, phrase_table: dict[str, dict[str, int]] | None = None,
                 max_candidates: int = MAX_CANDIDATES):
        self.max_candidates = max_candidates
        self.thesaurus = thesaurus or ReverseThesaurus.default()
        self.phrase_table = load_phrase_table() if phrase_table is None else phrase_table
        self.grammar = reverse_pairs()
        self._cache: dict[str, tuple[Candidate, ...]] = {}
        self._static: dict[str, object] = {}
        # the per-machine store of these results (lexicon.warm): only for the shipped tables
        self._store = None
        if thesaurus is None and phrase_table is None:
            from .warm import default_store

            self._store = default_store(max_candidates)

    def preload(self) -> None:
        """Load the per-machine store now (before a fork, so that workers share it)."""
        if self._store is not None:
            self._store.load()
        self.thesaurus.may_find("a b")  # its key skeletons

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "Lexicon":
        return cls()

    def candidates(self, phrase: str) -> tuple[Candidate, ...]:
        """Candidate originals for a lower-cased, space-joined spun phrase (never the phrase itself)."""
        hit = self._cache.get(phrase)
        if hit is not None:
            return hit
        store = self._store
        stored = None
        if store is not None:
            if not store.loaded:
                store.load()
            stored = store.get(phrase)
        if stored is not None:
            out, static = stored
        else:
            out, static = self._compute(phrase), None
            if store is not None:
                store.add(phrase, out)
        if len(self._cache) < 200_000:
            self._cache[phrase] = out
            if out and static is not None:  # the store's features; else `static` computes them when asked
                self._static[phrase] = static
        return out

    def _compute(self, phrase: str) -> tuple[Candidate, ...]:
        n_words = phrase.count(" ") + 1
        if n_words > 1 and phrase not in self.grammar and phrase not in self.phrase_table \
                and (n_words > 3 or not self.thesaurus.may_find(phrase)):
            return ()  # what the steps below would find: nothing (most multi-word phrases)
        found: dict[tuple[str, ...], Candidate] = {}
        if n_words <= 3:
            for c in self.thesaurus.lookup(phrase):
                found[c.words] = c
        for o in self.grammar.get(phrase, ()):
            w = tuple(o.split(" "))
            old = found.get(w)
            found[w] = Candidate(w, (old.sources if old else 0) | GRAMMAR, old.n_syn if old else 3, old.count if old else 0)
        for o, count in self.phrase_table.get(phrase, {}).items():
            w = tuple(o.split(" "))
            old = found.get(w)
            found[w] = Candidate(w, (old.sources if old else 0) | LEARNED, old.n_syn if old else 1, count)
        found.pop(tuple(phrase.split(" ")), None)
        return tuple(sorted(found.values(), key=prior_rank, reverse=True)[: self.max_candidates])

    def static(self, phrase: str, candidates: tuple[Candidate, ...]):
        """The lexicon-only features of `candidates(phrase)`, computed once."""
        hit = self._static.get(phrase)
        if hit is None:
            from ..features import static_features

            hit = static_features(candidates)
            if len(self._static) < 200_000:
                self._static[phrase] = hit
        return hit

    def knows(self, word: str) -> bool:
        """Whether any thesaurus lists `word` as a synonym of something: words no entry covers are
        "immutable" to a thesaurus spinner (DSpin)."""
        return bool(self.thesaurus.lookup(word)) or word in self.grammar or word in self.phrase_table
