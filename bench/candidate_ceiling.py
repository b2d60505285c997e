"""The candidate ceiling: for what share of the real substitutions does the lexicon propose the
original at all? Measured per source and with the learned phrase table cross-fitted (k-fold by pair:
a pair's own substitutions are never in the table it is looked up in).

    python bench/candidate_ceiling.py ../shared/data/dev_pairs.jsonl --kind thesaurus
"""
import argparse
import json

from unspin.alignment import align_pair
from unspin.lexicon import Lexicon, ReverseThesaurus
from unspin.lexicon.learn import learn_phrase_table
from unspin.lexicon.reverse import MOBY, MYTHES, WORDNET
from unspin.tokenize import normalize


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("--kind", default="thesaurus")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    pairs = [json.loads(l) for l in open(args.pairs, encoding="utf-8") if l.strip()]
    rt = ReverseThesaurus.default()
    counts = {k: 0 for k in ("mythes", "mythes+wordnet", "thesauri", "thesauri+grammar", "full", "full+composition")}
    total = 0
    for f in range(args.folds):
        train = [p for i, p in enumerate(pairs) if i % args.folds != f]
        full = Lexicon(rt, phrase_table=learn_phrase_table(train))
        plain = Lexicon(rt, phrase_table={})
        for i, p in enumerate(pairs):
            if i % args.folds != f or p["kind"] != args.kind:
                continue
            pa = align_pair(p["spun_text"], p["orig_text"])
            for s in pa.substitutions:
                sp = tuple(normalize(t.text) for t in pa.spun_tokens[slice(*s.spun)])
                op = tuple(normalize(t.text) for t in pa.orig_tokens[slice(*s.orig)])
                total += 1
                raw = {c.words: c.sources for c in rt.lookup(" ".join(sp))}
                src = raw.get(op, 0)
                counts["mythes"] += bool(src & MYTHES)
                counts["mythes+wordnet"] += bool(src & (MYTHES | WORDNET))
                counts["thesauri"] += bool(src & (MYTHES | WORDNET | MOBY))
                counts["thesauri+grammar"] += op in {c.words for c in plain.candidates(" ".join(sp))}
                hit = op in {c.words for c in full.candidates(" ".join(sp))}
                counts["full"] += hit
                composed = len(sp) == len(op) and all(
                    a == b or (b,) in {c.words for c in full.candidates(a)} for a, b in zip(sp, op))
                counts["full+composition"] += hit or composed
    print(f"{total} substitutions of kind {args.kind}")
    for k, v in counts.items():
        print(f"| {k} | {v / total:.3f} |")


if __name__ == "__main__":
    main()
