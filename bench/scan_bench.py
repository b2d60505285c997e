"""Benchmark `unspin scan`: throughput (1 vs 2 workers, local vs Ray) and peak memory vs input size.

Inputs are built in /tmp (never in the repo) by repeating the texts of ../shared/data/clean_news.jsonl
with fresh ids. Every run is a fresh `unspin scan` process (Ray startup and model loading included), and
the peak RSS is the sum over the whole process tree (driver, workers, Ray daemons), sampled every 0.1 s.

    python bench/scan_bench.py throughput --docs 400
    python bench/scan_bench.py memory --sizes 10000 100000 --chars 160
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import psutil

CLEAN = os.environ.get("UNSPIN_CLEAN_NEWS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                                                         "clean_news.jsonl"))
WORK = "/tmp/unspin-scan-bench"
UNSPIN = os.path.join(os.path.dirname(sys.executable), "unspin")


def build(n_docs: int, chars: int | None, name: str) -> str:
    """n_docs documents cycling over clean_news texts (cut to `chars` characters at a word boundary)."""
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, name)
    if os.path.exists(path):
        return path
    with open(CLEAN, encoding="utf-8") as f:
        base = [json.loads(line) for line in f if line.strip()]
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        for i in range(n_docs):
            d = dict(base[i % len(base)])
            if chars:
                d["text"] = d["text"][:chars].rsplit(" ", 1)[0]
            d["id"] = f"{d['id']}-{i // len(base)}"
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    os.replace(path + ".tmp", path)
    return path


def sample_tree(proc: psutil.Process, cpu_seen: dict) -> int:
    """RSS of the whole tree now; records each process's CPU seconds so far in `cpu_seen`."""
    total = 0
    for p in [proc] + proc.children(recursive=True):
        try:
            with p.oneshot():
                total += p.memory_info().rss
                t = p.cpu_times()
                cpu_seen[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return total


def _loop(n: int) -> None:
    x = 0
    for i in range(n):
        x += i % 7


def loop_scaling(n: int = 30_000_000) -> dict:
    """The machine's own 2-process scaling: a pure-Python CPU loop in 1 process, then in 2 at once.

    The same work per process, so scaling = 2 x (time of 1) / (time of 2). Run beside the scans, it tells
    how much of scan's scaling gap the machine (its load, its cores) explains."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")

    def timed(k: int) -> float:
        procs = [ctx.Process(target=_loop, args=(n,)) for _ in range(k)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        return time.perf_counter() - t0

    one, two = timed(1), timed(2)
    return {"loop_1_seconds": round(one, 2), "loop_2_seconds": round(two, 2), "loop_scaling": round(2 * one / two, 3)}


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


def run_scan(inp: str, out: str, engine: str, workers: int, batch_size: int | None = None) -> dict:
    import shutil

    for p in (out, out + ".parts", out.rsplit(".", 1)[0] + ".errors.jsonl"):
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (os.path.exists(p) and os.remove(p))
    cmd = [UNSPIN, "scan", inp, "-o", out, "--model", "ngram", "--engine", engine, "--workers", str(workers),
           "--json", "--no-progress"] + ([] if batch_size is None else ["--batch-size", str(batch_size)])
    load = os.getloadavg()[0]
    busy0, t0 = busy_seconds(), time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ps, peak, cpu_seen = psutil.Process(proc.pid), 0, {}
    while proc.poll() is None:
        peak = max(peak, sample_tree(ps, cpu_seen))
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    busy = busy_seconds() - busy0
    summary = json.loads(proc.stdout.read().strip().splitlines()[-1])
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    cpu = sum(cpu_seen.values())
    driver = cpu_seen.get(proc.pid, 0.0)  # the `unspin scan` process itself; the rest are its workers
    return {"cmd": " ".join(cmd), "engine": engine, "workers": workers, "docs": summary["written"],
            "words": summary["words"], "seconds": round(seconds, 2), "peak_rss_mb": round(peak / 2**20, 1),
            "tree_cpu_seconds": round(cpu, 1), "driver_cpu_seconds": round(driver, 1),
            "workers_cpu_seconds": round(cpu - driver, 1),
            "cpu_by_process": sorted((round(v, 1) for k, v in cpu_seen.items() if k != proc.pid), reverse=True),
            "load_avg_1min_before": round(load, 2),
            # other processes on the machine during the run, in cores (the machine has psutil.cpu_count())
            "other_load_cores": round(max(busy - cpu, 0) / seconds, 2)}


def throughput(args) -> dict:
    big = build(args.docs, None, f"tp_{args.docs}.jsonl")
    tiny = build(2, None, "tp_2.jsonl")
    baseline = loop_scaling()
    print(json.dumps(baseline), file=sys.stderr)
    rows = []
    runs = [("local", 1), ("local", 2)] + ([] if args.no_ray else [("ray", 2)])
    for engine, workers in runs:
        fixed = run_scan(tiny, f"{WORK}/tiny_{engine}_{workers}.parquet", engine, workers, args.batch_size)
        r = run_scan(big, f"{WORK}/tp_{engine}_{workers}.parquet", engine, workers, args.batch_size)
        r["startup_seconds"] = fixed["seconds"]  # process start, model load, Ray start: paid once per run
        r["words_per_s"] = round(r["words"] / r["seconds"])
        r["steady_words_per_s"] = round(r["words"] / max(r["seconds"] - fixed["seconds"], 1e-9))
        r["words_per_cpu_s"] = round(r["words"] / r["tree_cpu_seconds"])
        # the driver's share of the run's CPU (reading, sending, receiving, writing, progress)
        r["driver_cpu_share"] = round(r["driver_cpu_seconds"] / max(r["tree_cpu_seconds"], 1e-9), 3)
        rows.append(r)
        print(json.dumps(r), file=sys.stderr)
    one, two = rows[0], rows[1]
    out = {"runs": rows, "baseline": baseline, "load_avg_after": [round(x, 2) for x in os.getloadavg()],
           "scaling_2_over_1": round(two["steady_words_per_s"] / one["steady_words_per_s"], 3),
           "scaling_2_over_1_end_to_end": round(two["words_per_s"] / one["words_per_s"], 3)}
    if len(rows) > 2:
        ray = rows[2]
        out.update({"ray_overhead": round(1 - ray["steady_words_per_s"] / two["steady_words_per_s"], 3),
                    "ray_overhead_end_to_end": round(1 - ray["words_per_s"] / two["words_per_s"], 3),
                    "ray_cpu_overhead": round(one["words_per_cpu_s"] / ray["words_per_cpu_s"] - 1, 3)})
    return out


def memory(args) -> dict:
    rows = []
    for n in args.sizes:
        inp = build(n, args.chars, f"mem_{n}_{args.chars}.jsonl")
        r = run_scan(inp, f"{WORK}/mem_{n}.parquet", args.engine, args.workers)
        rows.append(r)
        print(json.dumps(r), file=sys.stderr)
    lo, hi = rows[0]["peak_rss_mb"], rows[-1]["peak_rss_mb"]
    return {"runs": rows, "peak_rss_change": round(hi / lo - 1, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--docs", type=int, default=400)
    t.add_argument("--batch-size", type=int, default=None, help="default: unspin scan's own default")
    t.add_argument("--no-ray", action="store_true", help="only the local executor (1 and 2 workers)")
    m = sub.add_parser("memory")
    m.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    m.add_argument("--chars", type=int, default=160, help="cut each text to this many characters (0: whole)")
    m.add_argument("--engine", default="local")
    m.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    result = throughput(args) if args.what == "throughput" else memory(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
