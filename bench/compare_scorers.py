"""Held-out quality and speed of the scorers side by side, on the same folds.

    python bench/compare_scorers.py --models ngram smollm2 --folds 3 --clean-docs 80

A smaller protocol than BENCHMARKS.md §1 (k folds by pair, a subset of the clean news) because the
neural scorer's training featurizes every training document with the LM, once per fold. Both scorers
get exactly the same folds and documents, so the comparison is fair; the absolute figures are not
comparable with the 5-fold, 325-clean-document table.
"""
import argparse
import json
import time
from pathlib import Path

from unspin.evaluate import evaluate_reports
from unspin.training import cross_validated_reports

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["ngram", "smollm2"])
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--clean-docs", type=int, default=80)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    pairs = [json.loads(l) for l in open(args.data / "dev_pairs.jsonl", encoding="utf-8")]
    clean = [json.loads(l) for l in open(args.data / "clean_news.jsonl", encoding="utf-8")][: args.clean_docs]
    for model in args.models:
        t0 = time.perf_counter()
        spun, orig, cl = cross_validated_reports(pairs, clean, model=model, k=args.folds)
        res = evaluate_reports(pairs, spun, orig, clean, cl)
        th, al = res["columns"]["thesaurus"], res["columns"]["all"]
        print(json.dumps({"model": model, "seconds": round(time.perf_counter() - t0),
                          "thesaurus": {"auc": th["detection"]["auc"], "fpr": th["detection"]["fpr"],
                                        "span_f1": th["spans"]["f1"], "restored_exact": th["restoration"]["restored_exact"],
                                        "damage": th["restoration"]["damage_rate"]},
                          "all": {"auc": al["detection"]["auc"], "span_f1": al["spans"]["f1"], "brier": al["calibration"]["brier"]}}),
              flush=True)


if __name__ == "__main__":
    main()
