"""Why a proposed original is not restored: the second stage's decisions on real thesaurus pairs,
held out (the folds of `unspin eval --cv`), by the n-gram LM's gain of the best candidate over the
spun word (`lm_delta`, natural log), for proposals without a learned-table candidate.

Each proposal outside protected regions whose span is a gold substitution is *right* (its best
candidate is the original) or *wrong best*; a proposal over tokens the spinner kept is *kept*. For each
we count what the checker did: restored, flagged only, nothing.

    python bench/restore_decisions.py ../shared/data/dev_pairs.jsonl ../shared/data/clean_news.jsonl
"""
import argparse
import collections
import json

import numpy as np

from unspin.flagging import flag_rows
from unspin.training import cross_fitted_checkers, gold_targets

BINS = (-np.inf, 0, 2, 4, 6, 8, 10, np.inf)


def outcomes(checker, pair) -> list[tuple[str, str, dict]]:
    """(gold kind, what was done, the row's named features) per decided proposal of a spun text."""
    m = checker.models
    doc = checker.analyze(pair["spun_text"])
    decisions = checker.decisions(doc)
    if not decisions:
        return []
    rows = flag_rows(doc, decisions, checker.doc_features(doc, decisions, checker.select(decisions)))
    flag, restore = m.flag.predict(rows), m.restore.predict(rows)
    names = m.flag.names
    targets, labels = gold_targets(pair["spun_text"], pair["orig_text"])
    out = []
    for d, row, f, r in zip(decisions, rows, flag, restore):
        p = d.proposal
        if any(doc.tokens[k].protected for k in range(p.i, p.j)):
            continue
        span = labels[p.i:p.j]
        if all(lab == "keep" for lab in span):
            gold = "kept"
        elif all(lab == "sub" for lab in span) and (p.i, p.j) in targets:
            best = p.candidates[d.candidate].words if d.candidate is not None and d.candidate >= 0 else None
            gold = "right" if best == targets[(p.i, p.j)] else "wrong best"
        else:
            continue
        done = ("restored" if r >= m.restore_threshold and f >= m.restore_flag_gate
                else "flagged" if f >= m.flag_threshold else "nothing")
        out.append((gold, done, dict(zip(names, row))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("clean")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    with open(args.pairs, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    with open(args.clean, encoding="utf-8") as f:
        clean = [json.loads(line) for line in f if line.strip()]
    table = collections.Counter()
    learned = collections.Counter()
    for checker, pair_idx, _ in cross_fitted_checkers(pairs, clean, "ngram", args.folds):
        for i in pair_idx:
            if pairs[i]["kind"] != "thesaurus":
                continue
            for gold, done, row in outcomes(checker, pairs[i]):
                if row["learned"]:
                    learned[(gold, done)] += 1
                    continue
                b = int(np.searchsorted(BINS, row["lm_delta"], side="right")) - 1
                table[(b, gold, done)] += 1
    cols = [(g, d) for g in ("right", "wrong best", "kept") for d in ("restored", "flagged", "nothing")]
    print("| lm_delta | " + " | ".join(f"{g}: {d}" for g, d in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for b in range(len(BINS) - 1):
        print(f"| [{BINS[b]:g}, {BINS[b + 1]:g}) | " + " | ".join(str(table[(b, g, d)]) for g, d in cols) + " |")
    print("| learned-table candidate | " + " | ".join(str(learned[(g, d)]) for g, d in cols) + " |")


if __name__ == "__main__":
    main()
