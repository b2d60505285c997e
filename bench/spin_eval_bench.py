"""Spinner figures: throughput, achieved rate, and plausibility of its substitutions.

    python bench/spin_eval_bench.py throughput DOCS.jsonl [--rate 0.3]
    python bench/spin_eval_bench.py plausibility PAIRS.jsonl [PAIRS.jsonl ...]

Plausibility: the share of gold substitutions (align_pair, EVALUATION.md) whose original is among
`Lexicon.default().candidates(spun phrase)`, i.e. that the toolkit's own reverse lexicon could undo.
A sanity figure: on the spinner's pairs it should be high (the spinner draws from the same thesaurus),
on real thesaurus-kind pairs it is the lexicon's coverage of real spinners.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict

from unspin.alignment import align_pair
from unspin.lexicon import Lexicon
from unspin.tokenize import normalize


def throughput(path: str, rate: float) -> None:
    from unspin.spinner import Spinner

    docs = [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]
    t0 = time.perf_counter()
    spinner = Spinner(seed=7)
    spinner.spin("warm up", rate=rate)
    load = time.perf_counter() - t0
    words = replaced = eligible = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for text in docs:
        result = spinner.spin(text, rate=rate)
        words += len(re.findall(r"\w+", text))
        replaced += result.replaced_words
        eligible += result.eligible_words
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU time too: on a shared machine the wall clock measures the neighbours as well
    print(json.dumps({"docs": len(docs), "words": words, "seconds": round(dt, 2), "words_per_s": round(words / dt),
                      "cpu_seconds": round(cpu, 2), "words_per_cpu_s": round(words / cpu),
                      "load_seconds": round(load, 2), "eligible_share_of_words": round(eligible / words, 3),
                      "achieved_rate": round(replaced / eligible, 3), "replaced_share_of_words": round(replaced / words, 3)}))


def plausibility(paths: list[str], learned: bool = True) -> None:
    # without the learned phrase table (fitted on the real pairs) the figure is the thesauri's own coverage
    lexicon = Lexicon.default() if learned else Lexicon(phrase_table={})
    for path in paths:
        by_kind: dict[str, Counter] = defaultdict(Counter)
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            pair = json.loads(line)
            pa = align_pair(pair["spun_text"], pair["orig_text"])
            c = by_kind[pair.get("kind", "unknown")]
            for s in pa.substitutions:
                spun = " ".join(normalize(t.text) for t in pa.spun_tokens[s.spun[0] : s.spun[1]])
                orig = tuple(normalize(t.text) for t in pa.orig_tokens[s.orig[0] : s.orig[1]])
                c["substitutions"] += 1
                c["original_among_candidates"] += any(cand.words == orig for cand in lexicon.candidates(spun))
        for kind, c in sorted(by_kind.items()):
            share = c["original_among_candidates"] / c["substitutions"] if c["substitutions"] else None
            print(json.dumps({"file": path, "kind": kind, "learned_phrase_table": learned, "substitutions": c["substitutions"],
                              "original_among_candidates": c["original_among_candidates"],
                              "share": None if share is None else round(share, 3)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("docs")
    t.add_argument("--rate", type=float, default=0.3)
    p = sub.add_parser("plausibility")
    p.add_argument("pairs", nargs="+")
    p.add_argument("--no-learned", action="store_true", help="lexicon without the learned phrase table")
    args = ap.parse_args()
    if args.cmd == "throughput":
        throughput(args.docs, args.rate)
    else:
        plausibility(args.pairs, learned=not args.no_learned)


if __name__ == "__main__":
    main()
