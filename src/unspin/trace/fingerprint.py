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
from dataclasses import dataclass, field

from ..document import Token
from ..tokenize import normalize, tokenize

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
    """A text's tokens, which of them are anchors, and the hashed features for the index."""

    tokens: list[Token]
    anchors: list[int] = field(default_factory=list)  # token indices of the anchors, in order
    grams: set[int] = field(default_factory=set)  # hashed anchor n-grams
    content: set[int] = field(default_factory=set)  # hashed content anchors (names, numbers, rare words)

    @property
    def hashes(self) -> set[int]:
        return self.grams | self.content


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

    @property
    def lexicon(self):
        if self._lexicon is None:
            from ..lexicon import Lexicon

            self._lexicon = Lexicon.default()
        return self._lexicon

    def settings(self) -> dict:
        return {"fingerprint": "anchors-v1", "n": self.n}

    def is_mutable(self, word: str) -> bool:
        """Whether a thesaurus spinner could swap this (lower-cased) word: some entry covers it."""
        hit = self._mutable.get(word)
        if hit is None:
            hit = self.lexicon.knows(word)
            if len(self._mutable) < MAX_MUTABILITY_CACHE:
                self._mutable[word] = hit
        return hit

    def anchor_kind(self, tokens: list[Token], i: int) -> str | None:
        """'stop', 'content' or None (a mutable word, dropped from the fingerprint)."""
        tok = tokens[i]
        if not tok.is_word:
            return None
        word = normalize(tok.text)
        if word in STOPWORDS:
            return "stop"
        if any(ch.isdigit() for ch in word):
            return "content"
        if tok.text[0].isupper() and i > 0 and tokens[i - 1].text not in _SENTENCE_OPENERS:
            return "content"  # a name: capitalised inside a sentence
        if len(word) > 2 and not self.is_mutable(word):
            return "content"  # immutable: no thesaurus entry covers it
        return None

    def fingerprint(self, text: str, tokens: list[Token] | None = None) -> Fingerprint:
        tokens = tokenize(text) if tokens is None else tokens
        fp = Fingerprint(tokens)
        words: list[str] = []
        for i in range(len(tokens)):
            kind = self.anchor_kind(tokens, i)
            if kind is None:
                continue
            word = normalize(tokens[i].text)
            fp.anchors.append(i)
            words.append(word)
            if kind == "content":
                fp.content.add(stable_hash("u\x1f" + word))
        n = self.n
        for j in range(len(words) - n + 1):
            gram = words[j : j + n]
            if all(w in STOPWORDS for w in gram) and n < 5:
                # pure stopword trigrams ("of the to") are shared by every English text: skip them
                continue
            fp.grams.add(stable_hash("g\x1f" + "\x1f".join(gram)))
        return fp
