"""Render `unspin eval --json` output as the Markdown tables of BENCHMARKS.md.

    unspin eval PAIRS.jsonl --clean DOCS.jsonl --cv 5 --json > eval.json
    python bench/eval_to_markdown.py eval.json
"""
import json
import sys

ROWS = [
    ("detection", "auc", "ROC AUC"), ("detection", "precision", "verdict precision"),
    ("detection", "recall", "verdict recall"), ("detection", "f1", "verdict F1"),
    ("detection", "fpr", "false-positive rate"), ("spans", "precision", "span precision"),
    ("spans", "recall", "span recall"), ("spans", "f1", "span F1"),
    ("restoration", "restored_exact", "restored exact"), ("restoration", "damage_rate", "damage rate"),
    ("restoration", "error_reduction", "error reduction"),
    ("restoration", "clean_words_changed", "clean words changed"), ("calibration", "brier", "Brier score"),
]


def fmt(v):
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(path: str) -> None:
    d = json.load(open(path))
    cols = d["columns"]
    names = list(cols)
    print("| metric | " + " | ".join(f"{n} ({cols[n].get('n_pairs', '')} pairs)" for n in names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for group, key, label in ROWS:
        print(f"| {label} | " + " | ".join(fmt(cols[n].get(group, {}).get(key)) for n in names) + " |")
    for n in names:
        bins = [b for b in cols[n].get("calibration", {}).get("bins", []) if b["n"]]
        if bins and n in ("all", "synthetic"):
            print(f"\nReliability ({n}): " + "; ".join(
                f"[{b['lo']:.1f},{b['hi']:.1f}) n={b['n']} mean score {b['mean_score']:.2f} → spun {b['positive_rate']:.2f}"
                for b in bins))


if __name__ == "__main__":
    main(sys.argv[1])
