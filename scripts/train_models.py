"""Fit the shipped span and document models for a scorer from aligned pairs and clean documents.

    python scripts/train_models.py --pairs ../shared/data/dev_pairs.jsonl --clean ../shared/data/clean_news.jsonl --model ngram
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from unspin.lexicon import Lexicon
from unspin.training import train_checker


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--clean", required=True)
    ap.add_argument("--model", default="ngram")
    ap.add_argument("--out", default=None)
    ap.add_argument("--max-clean", type=int, default=None,
                    help="Use only the first N clean documents (the neural scorer is slow to featurize)")
    args = ap.parse_args()
    pairs = [json.loads(l) for l in open(args.pairs, encoding="utf-8") if l.strip()]
    clean = [json.loads(l) for l in open(args.clean, encoding="utf-8") if l.strip()][: args.max_clean]
    checker = train_checker(args.model, Lexicon.default(), pairs, clean)
    models = checker.models
    name = "ngram" if checker.scorer.name == "ngram" else "neural"
    out = Path(args.out) if args.out else Path(__file__).resolve().parents[1] / f"src/unspin/data/models_{name}.json"
    models.save(out)
    print(f"wrote {out}: {models.meta}")


if __name__ == "__main__":
    main()
