"""The reverse thesaurus at run time: which originals could a spinner have replaced with these words?

Lookups are at lemma level and re-inflected with lemminflect, so `transferring` finds `move` through
`transfer` and proposes `moving`.
"""
from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from importlib import resources

from lemminflect import getAllInflections, getAllLemmas, getInflection

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
def _inflect(lemma: str, tag: str) -> str | None:
    forms = getInflection(lemma, tag, inflect_oov=False)
    return forms[0] if forms else None


@functools.lru_cache(maxsize=200_000)
def _tags_of(word: str) -> list[tuple[str, str]]:
    """(lemma, Penn tag) readings of an inflected word."""
    out = []
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            for tag, forms in getAllInflections(lemma, upos).items():
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


class ReverseThesaurus:
    def __init__(self, table: dict[str, list[tuple[str, int, int]]]):
        self.table = table

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "ReverseThesaurus":
        path = resources.files("unspin.lexicon") / "data" / "reverse_thesaurus.tsv.gz"
        table: dict[str, list[tuple[str, int, int]]] = {}
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
            for line in f:
                s, o, bits, n = line.rstrip("\n").split("\t")
                table.setdefault(s, []).append((o, int(bits), int(n)))
        return cls(table)

    def __contains__(self, phrase: str) -> bool:
        return phrase in self.table

    @functools.lru_cache(maxsize=100_000)
    def lookup(self, phrase: str) -> tuple[Candidate, ...]:
        """Originals for a lower-cased spun phrase, inflected like it."""
        found: dict[str, Candidate] = {}
        for o, bits, n in self.table.get(phrase, ()):
            found.setdefault(o, Candidate(tuple(o.split(" ")), bits, n))
        words = phrase.split(" ")
        # re-inflect through the lemma of the head word
        for head_i in {0, len(words) - 1}:
            for lemma, tag in _tags_of(words[head_i]):
                if lemma == words[head_i] and tag in _BASE_TAGS:
                    continue  # the base form itself: the direct lookup above covers it ("read" as VBD does not)
                key = " ".join(words[:head_i] + [lemma] + words[head_i + 1 :])
                for o, bits, n in self.table.get(key, ())[:INFLECT_TOP]:
                    inflected = inflect_phrase(o, tag)
                    if inflected and inflected not in found:
                        found[inflected] = Candidate(tuple(inflected.split(" ")), bits, n)
        found.pop(phrase, None)
        return tuple(found.values())
