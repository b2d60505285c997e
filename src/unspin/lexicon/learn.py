"""Learn the phrase table of typical spinner substitutions from aligned real pairs."""
from __future__ import annotations

from collections import Counter, defaultdict

from ..alignment import align_pair
from ..tokenize import normalize

LEARN_KINDS = ("thesaurus",)


def substitutions(spun_text: str, orig_text: str):
    """(spun phrase, original phrase) for each gold substitution, and word by word for equal lengths."""
    pa = align_pair(spun_text, orig_text)
    for s in pa.substitutions:
        sp = [normalize(t.text) for t in pa.spun_tokens[s.spun[0] : s.spun[1]]]
        op = [normalize(t.text) for t in pa.orig_tokens[s.orig[0] : s.orig[1]]]
        if not all(w[0].isalpha() for w in sp + op):
            continue
        yield " ".join(sp), " ".join(op)
        if len(sp) == len(op) > 1:  # "critical climate danger" -> "severe weather threat", word by word
            for a, b in zip(sp, op):
                if a != b:
                    yield a, b


def learn_phrase_table(pairs: list[dict], kinds=LEARN_KINDS) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for p in pairs:
        if p.get("kind") in kinds:
            for s, o in substitutions(p["spun_text"], p["orig_text"]):
                counts[s][o] += 1
    return {s: dict(c) for s, c in sorted(counts.items())}
