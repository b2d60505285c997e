"""The candidate ceiling: for what share of the real substitutions does the lexicon propose the
original at all? Measured per source and with the learned phrase table cross-fitted (k-fold by pair:
a pair's own substitutions are never in the table it is looked up in).

The second table is the ceiling of restored exact itself: a substitution can only be restored when
none of its spun tokens is protected (quotations, names, numbers are never changed) and its original
is proposed, as a whole phrase or word by word.

    python bench/candidate_ceiling.py ../shared/data/dev_pairs.jsonl --kind thesaurus
    python scripts/build_lexicon.py --symmetric --out /tmp/symmetric.tsv.gz
    python bench/candidate_ceiling.py ../shared/data/dev_pairs.jsonl --table /tmp/symmetric.tsv.gz
"""
import argparse
import json
from pathlib import Path

from unspin.alignment import align_pair
from unspin.lexicon import MAX_CANDIDATES, Lexicon, ReverseThesaurus
from unspin.lexicon.learn import learn_phrase_table
from unspin.lexicon.reverse import MOBY, MYTHES, WORDNET, _LazyTable, _parse
from unspin.protect import analyze
from unspin.tokenize import normalize

UNCAPPED = 100_000


def proposes(lexicon: Lexicon, spun: tuple[str, ...], orig: tuple[str, ...]) -> tuple[bool, bool]:
    """(the whole phrase is proposed, or each differing word is proposed for its spun word)."""
    whole = orig in {c.words for c in lexicon.candidates(" ".join(spun))}
    composed = len(spun) == len(orig) and all(
        a == b or (b,) in {c.words for c in lexicon.candidates(a)} for a, b in zip(spun, orig))
    return whole, whole or composed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("--kind", default="thesaurus")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--table", type=Path, help="another reverse thesaurus (scripts/build_lexicon.py --out)")
    args = ap.parse_args()
    with open(args.pairs, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    rt = ReverseThesaurus(_LazyTable(_parse(args.table))) if args.table else ReverseThesaurus.default()
    counts = {k: 0 for k in ("mythes", "mythes+wordnet", "thesauri", "thesauri+grammar", "full", "full+composition")}
    restorable = {k: 0 for k in ("unprotected", f"proposed, at most {MAX_CANDIDATES} candidates", "proposed, uncapped")}
    total = 0
    for f in range(args.folds):
        train = [p for i, p in enumerate(pairs) if i % args.folds != f]
        table = learn_phrase_table(train)
        full = Lexicon(rt, phrase_table=table)
        uncapped = Lexicon(rt, phrase_table=table, max_candidates=UNCAPPED)
        plain = Lexicon(rt, phrase_table={})
        for i, p in enumerate(pairs):
            if i % args.folds != f or p["kind"] != args.kind:
                continue
            pa = align_pair(p["spun_text"], p["orig_text"])
            protected = [(t.start, t.end) for t in analyze(p["spun_text"]).tokens if t.protected]
            for s in pa.substitutions:
                spun_tokens = pa.spun_tokens[slice(*s.spun)]
                sp = tuple(normalize(t.text) for t in spun_tokens)
                op = tuple(normalize(t.text) for t in pa.orig_tokens[slice(*s.orig)])
                total += 1
                raw = {c.words: c.sources for c in rt.lookup(" ".join(sp))}
                src = raw.get(op, 0)
                counts["mythes"] += bool(src & MYTHES)
                counts["mythes+wordnet"] += bool(src & (MYTHES | WORDNET))
                counts["thesauri"] += bool(src & (MYTHES | WORDNET | MOBY))
                counts["thesauri+grammar"] += op in {c.words for c in plain.candidates(" ".join(sp))}
                hit, composed = proposes(full, sp, op)
                counts["full"] += hit
                counts["full+composition"] += composed
                a, b = spun_tokens[0].start, spun_tokens[-1].end
                if any(x < b and a < y for x, y in protected):
                    continue
                restorable["unprotected"] += 1
                restorable[f"proposed, at most {MAX_CANDIDATES} candidates"] += composed
                restorable["proposed, uncapped"] += proposes(uncapped, sp, op)[1]
    print(f"{total} substitutions of kind {args.kind}")
    print("\n| the original is proposed by | share |\n|---|---|")
    for k, v in counts.items():
        print(f"| {k} | {v / total:.3f} |")
    print("\n| restorable: outside protected regions, and | substitutions | share |\n|---|---:|---:|")
    for k, v in restorable.items():
        print(f"| {k} | {v} | {v / total:.3f} |")


if __name__ == "__main__":
    main()
