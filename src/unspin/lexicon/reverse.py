"""The reverse thesaurus at run time: which originals could a spinner have replaced with these words?

Lookups are at lemma level and re-inflected with lemminflect, so `transferring` finds `move` through
`transfer` and proposes `moving`.
"""
from __future__ import annotations

import functools
import gzip
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from .inflect import getAllInflections, getAllLemmas, pennTagAlts, tagToUPos, uposToTags

MYTHES, WORDNET, MOBY, LEARNED = 1, 2, 4, 8
INFLECT_TOP = 40
_BASE_TAGS = {"VB", "VBP", "NN", "JJ", "RB"}  # re-inflect only the best-attested originals of a lemma (inflection is the costly part)
SOURCE_NAMES = {MYTHES: "mythes", WORDNET: "wordnet", MOBY: "moby", LEARNED: "learned"}


@dataclass(frozen=True, slots=True)
class Candidate:
    words: tuple[str, ...]  # the proposed original, lower-cased tokens
    sources: int  # bit set of SOURCE_NAMES
    n_syn: int  # how many synonyms the original has in the thesauri (a spinner picks one of them)
    count: int = 0  # times seen in aligned real pairs (learned phrase table)

    @property
    def source_names(self) -> list[str]:
        return [name for bit, name in SOURCE_NAMES.items() if self.sources & bit]


@functools.lru_cache(maxsize=200_000)
def _inflections(lemma: str, upos: str | None = None) -> dict[str, tuple[str, ...]]:
    """`getAllInflections(lemma, upos)`, read once per lemma: lemminflect deep-copies its tables on every
    call, and for a part of speech only keeps that part's tags of the whole table."""
    if upos not in ("VERB", "AUX", "ADJ", "ADV", "NOUN"):  # None, PROPN (looked up capitalised) or invalid
        return getAllInflections(lemma, upos)
    tags = uposToTags(upos)
    return {tag: forms for tag, forms in _inflections(lemma).items() if tag in tags}


@functools.lru_cache(maxsize=200_000)
def _inflect(lemma: str, tag: str) -> str | None:
    """`getInflection(lemma, tag, inflect_oov=False)[0]`, from the lemma's cached table (the same steps
    as lemminflect's Inflections.getInflection; tests/test_lexicon.py compares the two)."""
    upos = tagToUPos(tag)
    forms = _inflections(lemma, upos if upos == "PROPN" else None)
    form = forms.get({"NNP": "NN", "NNPS": "NNS"}.get(tag, tag))
    if form is None:
        for alt in pennTagAlts(tag):
            form = forms.get(alt)
            if form:
                break
    return form[0] if form else None


@functools.lru_cache(maxsize=200_000)
def _tags_of(word: str) -> list[tuple[str, str]]:
    """(lemma, Penn tag) readings of an inflected word."""
    out = []
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            for tag, forms in _inflections(lemma, upos).items():
                if word in forms:
                    out.append((lemma, tag))
    return out


def inflect_phrase(phrase: str, tag: str) -> str | None:
    """Inflect the head of a lemma phrase: the first word of a verb phrase, the last of a noun phrase."""
    words = phrase.split(" ")
    i = 0 if tag.startswith("V") else len(words) - 1
    form = _inflect(words[i], tag)
    if form is None:
        return None
    words[i] = form
    return " ".join(words)


_inflect_phrase = functools.lru_cache(maxsize=200_000)(inflect_phrase)  # an original recurs under many lemmas


class _LazyTable(Mapping):
    """spun phrase -> [(original, source bits, n_syn)], parsed per key on first access: the raw table
    holds one "orig\tbits\tn" block per key, which loads in a fraction of the time of 1.7 M tuples."""

    def __init__(self, raw: dict[str, str]):
        self.raw = raw
        self.parsed: dict[str, list[tuple[str, int, int]]] = {}

    def __getitem__(self, key: str) -> list[tuple[str, int, int]]:
        hit = self.parsed.get(key)
        if hit is None:
            block = self.raw[key]
            hit = []
            for line in block.split("\n"):
                o, bits, n = line.split("\t")
                hit.append((o, int(bits), int(n)))
            self.parsed[key] = hit
        return hit

    def __contains__(self, key) -> bool:
        return key in self.raw

    def get(self, key, default=None):  # Mapping.get would raise and catch a KeyError for every miss
        return self[key] if key in self.raw else default

    def __iter__(self):
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


def _parse(path) -> dict[str, str]:
    blocks: dict[str, list[str]] = {}
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        for line in f:
            s, rest = line.rstrip("\n").split("\t", 1)
            blocks.setdefault(s, []).append(rest)
    return {k: "\n".join(v) for k, v in blocks.items()}


def _cached_table(path) -> _LazyTable:
    """The table, kept as a marshal file in the user's cache dir (loads ~10x faster than the shipped
    gzip TSV); keyed by the data file's fingerprint and the Python version."""
    import marshal
    import os
    import sys

    from ..cachefiles import cache_dir, fingerprint, remove_stale

    try:
        key = f"thesaurus-v2-{fingerprint(str(path))}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
        cached = cache_dir() / key
        if cached.is_file():
            with open(cached, "rb") as f:
                return _LazyTable(marshal.load(f))
    except (OSError, ValueError, EOFError, TypeError):
        cached = None
    raw = _parse(path)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                marshal.dump(raw, f)
            os.replace(tmp, cached)
            remove_stale(cached, "thesaurus-v")
        except OSError:
            pass  # a read-only cache dir only costs speed
    return _LazyTable(raw)


class ReverseThesaurus:
    def __init__(self, table: Mapping[str, list[tuple[str, int, int]]]):
        self.table = table

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "ReverseThesaurus":
        path = resources.files("unspin.lexicon") / "data" / "reverse_thesaurus.tsv.gz"
        return cls(_cached_table(path))

    def __contains__(self, phrase: str) -> bool:
        return phrase in self.table

    @functools.cached_property
    def _skeletons(self) -> tuple[frozenset, frozenset]:
        """The multi-word keys without their first word (" b c") and without their last ("a b ")."""
        tails, heads = set(), set()
        for k in self.table:
            if " " in k:
                tails.add(k[k.find(" "):])
                heads.add(k[: k.rfind(" ") + 1])
        return frozenset(tails), frozenset(heads)

    def may_find(self, phrase: str) -> bool:
        """False only when `lookup(phrase)` is empty, decided without lemmatising: `lookup` reads the
        phrase itself and the phrase with its first or last word replaced (by a lemma)."""
        if " " not in phrase or phrase in self.table:
            return True
        tails, heads = self._skeletons
        return phrase[phrase.find(" "):] in tails or phrase[: phrase.rfind(" ") + 1] in heads

    @functools.lru_cache(maxsize=100_000)
    def lookup(self, phrase: str) -> tuple[Candidate, ...]:
        """Originals for a lower-cased spun phrase, inflected like it."""
        found: dict[str, Candidate] = {}
        for o, bits, n in self.table.get(phrase, ()):
            if o not in found:
                found[o] = Candidate(tuple(o.split(" ")), bits, n)
        words = phrase.split(" ")
        # re-inflect through the lemma of the head word
        for head_i in {0, len(words) - 1}:
            for lemma, tag in _tags_of(words[head_i]):
                if lemma == words[head_i] and tag in _BASE_TAGS:
                    continue  # the base form itself: the direct lookup above covers it ("read" as VBD does not)
                key = " ".join(words[:head_i] + [lemma] + words[head_i + 1 :])
                for o, bits, n in self.table.get(key, ())[:INFLECT_TOP]:
                    inflected = _inflect_phrase(o, tag)
                    if inflected and inflected not in found:
                        found[inflected] = Candidate(tuple(inflected.split(" ")), bits, n)
        found.pop(phrase, None)
        return tuple(found.values())
