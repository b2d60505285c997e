"""Fingerprints that survive spinning.

A spinner swaps words that its thesaurus covers and leaves the rest alone; a translation round trip or
a paraphrase keeps names and numbers. So a document is fingerprinted by its *anchors* only, the words a
spinner cannot (or does not) touch, and every other word is dropped:

- function words (the stopword n-grams of Stamatatos 2011 and SpotSigs),
- "immutable" words that no thesaurus entry covers (DSpin, NDSS 2014): `Lexicon.knows(word)` is False,
- names (capitalised words not at a sentence start) and anything with a digit.

Two kinds of hashed features are emitted: n-grams over the anchor sequence (order survives thesaurus
spinning, and dropping the mutable words makes an n-gram immune to the swaps between its anchors), and
the content anchors on their own (names, numbers, rare words: they survive translation and paraphrase,
where the order does not). Hashing is by BLAKE2b (stable across runs, unlike `hash()`).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..tokenize import _TYPO_MAP, TOKEN_RE, normalize

# Function words spinners leave alone (prepositions, articles, pronouns, auxiliaries, conjunctions).
# Deliberately short: a word a spinner does swap ("said", "because") would break the n-grams around it.
STOPWORDS = frozenset(
    """a an the of to in on at by for from with as into about after before over under between through
    and or but nor if than that this these those it its is are was were be been being has have had
    do does did not no he she they we you i him her them us me his their our your my who whom whose
    which what when where why how there here all any some each both such so will would can could
    should may might must also only more most other""".split()
)
_SENTENCE_OPENERS = {".", "!", "?", '"', "“", "(", ":", "-", "—", "–", "‘", "'"}
MAX_MUTABILITY_CACHE = 500_000


@dataclass(slots=True)
class Fingerprint:
    """A text's anchors and the hashed features for the index."""

    anchors: list[int] = field(default_factory=list)  # word hashes of the anchors, in order
    grams: set[int] = field(default_factory=set)  # hashed anchor n-grams
    content: set[int] = field(default_factory=set)  # hashed content anchors (names, numbers, rare words)

    @property
    def hashes(self) -> set[int]:
        return self.grams | self.content


_TYPO_RE = re.compile("[" + re.escape("".join(chr(c) for c in _TYPO_MAP)) + "]")
PUNCT, MUTABLE, STOP, CONTENT = range(4)
_MASK = (1 << 64) - 1
_MULT = 0x100000001B3  # FNV-1 prime: n-gram hash = polynomial over the words' BLAKE2b hashes
CONTENT_SALT = 0x5BD1E9955BD1E995


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= 1 << 63 else h


def stable_hash(s: str) -> int:
    """A signed 64-bit hash that is the same in every process (SQLite INTEGER range)."""
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


class Fingerprinter:
    """Turns a text into anchors and hashed features.

    >>> fp = Fingerprinter().fingerprint("Officials in Oklahoma said 30 homes were hit on Wednesday.")
    >>> len(fp.grams) > 0
    True
    """

    def __init__(self, n: int = 3, lexicon=None):
        self.n = n
        self._lexicon = lexicon
        self._mutable: dict[str, bool] = {}
        self._classes: dict[str, int] = {}
        self._hashes: dict[str, int] = {}
        self._tables = None

    @property
    def lexicon(self):
        if self._lexicon is None:
            from ..lexicon import Lexicon

            self._lexicon = Lexicon.default()
        return self._lexicon

    def settings(self) -> dict:
        return {"fingerprint": "anchors-v2", "n": self.n, "lexicon": self.lexicon_signature()}

    def lexicon_signature(self) -> str:
        """Which lexicon decided what is mutable: an index queried with another lexicon still works,
        but the words whose status changed no longer fingerprint alike (`Index.warnings` says so)."""
        table, grammar, phrases = self._known_tables()
        return f"{len(table)}/{len(grammar)}/{len(phrases)}"

    def _known_tables(self):
        if self._tables is None:
            lex = self.lexicon
            self._tables = (lex.thesaurus.table, lex.grammar, lex.phrase_table)
        return self._tables

    def is_mutable(self, word: str) -> bool:
        """Whether a thesaurus spinner could swap this (lower-cased) word: some entry covers it or its
        lemma. The same test as `Lexicon.knows`, on the tables directly: `knows` re-inflects every
        candidate, which costs milliseconds per new word, and only existence matters here."""
        hit = self._mutable.get(word)
        if hit is None:
            table, grammar, phrases = self._known_tables()
            hit = word in table or word in grammar or word in phrases
            if not hit:
                from ..lexicon.inflect import getAllLemmas

                hit = any(lemma in table for lemmas in getAllLemmas(word).values() for lemma in lemmas)
            if len(self._mutable) < MAX_MUTABILITY_CACHE:
                self._mutable[word] = hit
        return hit

    def _word_class(self, word: str) -> int:
        """PUNCT, MUTABLE, STOP or CONTENT for a normalised token (cached: the hot loop of a build)."""
        c = self._classes.get(word)
        if c is None:
            first = word[0]
            if not (first.isalnum() or first == "_"):
                c = PUNCT
            elif word in STOPWORDS:
                c = STOP
            elif any(ch.isdigit() for ch in word):
                c = CONTENT
            elif len(word) > 2 and not self.is_mutable(word):
                c = CONTENT  # immutable: no thesaurus entry covers it
            else:
                c = MUTABLE
            if len(self._classes) < MAX_MUTABILITY_CACHE:
                self._classes[word] = c
                self._hashes[word] = stable_hash(word)
        return c

    def _word_hash(self, word: str) -> int:
        h = self._hashes.get(word)
        return stable_hash(word) if h is None else h

    def fingerprint(self, text: str) -> Fingerprint:
        """Anchors and hashed features of `text` (one regex pass over the folded text, cached word
        classes and hashes, n-gram hashes combined arithmetically: a build must reach 1,000 docs/s)."""
        fp = Fingerprint()
        folded = text.lower()
        if _TYPO_RE.search(folded):  # str.translate is slow: only when there is something to map
            folded = folded.translate(_TYPO_MAP)
        raws = TOKEN_RE.findall(text)
        lows = TOKEN_RE.findall(folded) if len(folded) == len(text) else None
        if lows is None or len(lows) != len(raws):  # lower-casing changed a length ("İ"): per token
            lows = [normalize(r) for r in raws]
        classes, word_class = self._classes, self._word_class
        anchors: list[int] = []  # word hashes of the anchors
        stops: list[bool] = []
        content = fp.content
        opener = True  # the previous token starts a sentence (a capital after it is not a name)
        for raw, w in zip(raws, lows):
            c = classes.get(w)
            if c is None:
                c = word_class(w)
            if c == PUNCT:
                opener = raw in _SENTENCE_OPENERS
                continue
            if c == MUTABLE and not opener and raw[0].isupper():
                c = CONTENT  # a name: capitalised inside a sentence
            opener = False
            if c == MUTABLE:
                continue
            h = self._word_hash(w)
            anchors.append(h)
            stops.append(c == STOP)
            if c == CONTENT:
                content.add(_signed(h ^ CONTENT_SALT))
        fp.anchors = anchors
        n = self.n
        grams = fp.grams
        for j in range(len(anchors) - n + 1):
            if all(stops[j : j + n]):
                continue  # pure stopword n-grams ("of the to") are shared by every English text
            h = 0
            for x in anchors[j : j + n]:
                h = (h * _MULT + x) & _MASK
            grams.add(_signed(h))
        return fp
