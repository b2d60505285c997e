"""Gold labels from a (spun, original) pair, exactly as EVALUATION.md defines them."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .document import Token
from .tokenize import normalize, tokenize

MAX_SUBSTITUTION = 4


@dataclass(slots=True)
class Substitution:
    spun: tuple[int, int]  # token index range [i, j) in the spun tokens
    orig: tuple[int, int]  # token index range in the original tokens


@dataclass(slots=True)
class PairAlignment:
    spun_tokens: list[Token]
    orig_tokens: list[Token]
    substitutions: list[Substitution] = field(default_factory=list)
    untouched: list[tuple[int, int]] = field(default_factory=list)  # spun index ranges of equal runs
    untouched_orig: list[tuple[int, int]] = field(default_factory=list)
    excluded: list[tuple[int, int]] = field(default_factory=list)  # spun index ranges

    def spun_label(self) -> list[str | None]:
        """Per spun token: 'sub', 'keep' or None (excluded)."""
        labels: list[str | None] = [None] * len(self.spun_tokens)
        for s in self.substitutions:
            for k in range(*s.spun):
                labels[k] = "sub"
        for a, b in self.untouched:
            for k in range(a, b):
                labels[k] = "keep"
        return labels


def _has_word(tokens: list[str]) -> bool:
    return any(any(ch.isalnum() for ch in t) for t in tokens)


def is_variant(a: list[str], b: list[str]) -> bool:
    """Typographic or spelling variants are not substitutions (favor/favour, Feb./February)."""
    if not _has_word(a) or not _has_word(b):
        return True
    sa, sb = " ".join(a), " ".join(b)
    if difflib.SequenceMatcher(None, sa, sb, autojunk=False).ratio() >= 0.8:
        return True
    ca, cb = "".join(a), "".join(b)
    return ca.startswith(cb) or cb.startswith(ca)


def opcodes(a_tokens: list[Token], b_tokens: list[Token]):
    a = [normalize(t.text) for t in a_tokens]
    b = [normalize(t.text) for t in b_tokens]
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    # drop the unmatched runs at the ends (the excerpts are cut at different points)
    while ops and ops[0][0] != "equal":
        ops = ops[1:]
    while ops and ops[-1][0] != "equal":
        ops = ops[:-1]
    return a, b, ops


def align_pair(spun_text: str, orig_text: str) -> PairAlignment:
    st, ot = tokenize(spun_text), tokenize(orig_text)
    a, b, ops = opcodes(st, ot)
    pa = PairAlignment(st, ot)
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            pa.untouched.append((i1, i2))
            pa.untouched_orig.append((j1, j2))
        elif tag == "replace" and i2 - i1 <= MAX_SUBSTITUTION and j2 - j1 <= MAX_SUBSTITUTION and not is_variant(a[i1:i2], b[j1:j2]):
            pa.substitutions.append(Substitution((i1, i2), (j1, j2)))
        elif i2 > i1:
            pa.excluded.append((i1, i2))
    return pa
