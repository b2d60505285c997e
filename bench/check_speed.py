"""Speed and memory of `check` per scorer, single process, on the real dev texts.

    python bench/check_speed.py [--models ngram smollm2] [--data ../shared/data]

Each scorer runs in its own subprocess (so peak RSS is its own). Figures are words/s over every spun and
original text of dev_pairs.jsonl plus the first 100 clean_news texts, on a cold process (first pass:
lexicon caches empty) and a warm second pass (also per CPU-second of the process, all threads: a figure
less sensitive to other jobs on a shared machine), next to a baseline measured in the same run: the
tokenizer + protection stage alone (the floor any checker pays). Cold start: wall time of
`unspin check examples/spun_article.txt` next to `python -c "import unspin"`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def texts(data: Path, limit: int | None = None) -> list[str]:
    pairs = [json.loads(l) for l in open(data / "dev_pairs.jsonl", encoding="utf-8")]
    clean = [json.loads(l) for l in open(data / "clean_news.jsonl", encoding="utf-8")][:100]
    docs = [p["spun_text"] for p in pairs] + [p["orig_text"] for p in pairs] + [c["text"] for c in clean]
    return docs[:limit]


def worker(model: str, data: Path, limit: int | None = None) -> dict:
    import resource

    docs = texts(data, limit)
    n_words = sum(len(t.split()) for t in docs)
    t0 = time.perf_counter()
    if model == "baseline":
        from unspin.protect import analyze

        run = analyze
    else:
        from unspin.checker import Checker

        checker = Checker(model)
        checker.check("warm the model up: the minister stated.")
        run = checker.check
    load = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), cpu_s()
    for t in docs:
        run(t)
    cold, cold_cpu = time.perf_counter() - t0, cpu_s() - c0
    t0, c0 = time.perf_counter(), cpu_s()
    for t in docs:
        run(t)
    warm, warm_cpu = time.perf_counter() - t0, cpu_s() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"model": model, "docs": len(docs), "words": n_words, "load_s": round(load, 2),
            "words_per_s_first_pass": round(n_words / cold), "words_per_s_second_pass": round(n_words / warm),
            "words_per_cpu_s_first_pass": round(n_words / cold_cpu), "words_per_cpu_s_second_pass": round(n_words / warm_cpu),
            "peak_rss_mb": round(rss), "load_avg_1min": round(os.getloadavg()[0], 2)}


def cpu_s() -> float:
    """CPU seconds of this process, all threads (less sensitive than wall time to other jobs on the machine)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cold_start(repeat: int = 3) -> dict:
    exe = [sys.executable, "-m", "unspin.cli"] if False else [str(Path(sys.executable).parent / "unspin")]
    out = {}
    for name, cmd in (("import unspin", [sys.executable, "-c", "import unspin"]),
                      ("unspin check (500-word article)", exe + ["check", str(ROOT / "examples/spun_article.txt")])):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
        out[name] = round(min(times), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["baseline", "ngram", "smollm2"])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--worker", default=None)
    ap.add_argument("--neural-docs", type=int, default=23, help="the neural scorer runs on the first N texts only")
    args = ap.parse_args()
    if args.worker:
        limit = None if args.worker in ("baseline", "ngram") else args.neural_docs
        print(json.dumps(worker(args.worker, args.data, limit)))
        return
    rows = []
    for m in args.models:
        res = subprocess.run([sys.executable, __file__, "--worker", m, "--data", str(args.data),
                              "--neural-docs", str(args.neural_docs)],
                             capture_output=True, text=True, check=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    base = next((r for r in rows if r["model"] == "baseline"), None)
    if base:
        for r in rows:
            r["share_of_baseline_speed"] = round(r["words_per_s_first_pass"] / base["words_per_s_first_pass"], 4)
    print(json.dumps({"cold_start_s": cold_start()}))
    print("| scorer | words/s (first pass) | words/s (second pass) | words/CPU-s (first / second) "
          "| vs tokenize+protect | model load s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['words_per_s_first_pass']:,} | {r['words_per_s_second_pass']:,} | "
              f"{r['words_per_cpu_s_first_pass']:,} / {r['words_per_cpu_s_second_pass']:,} | "
              f"{r.get('share_of_baseline_speed', '')} | {r['load_s']} | {r['peak_rss_mb']} |")


if __name__ == "__main__":
    main()
