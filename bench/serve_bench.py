"""Load benchmark of `unspin serve` on loopback: requests/s and p50/p95 latency of POST /api/check.

Starts `unspin serve` in its own process on a free 127.0.0.1 port, then, for each concurrency level,
sends realistic news texts (~300 words, read at run time from a JSONL file; nothing is copied into the
repo) from that many client threads, each with its own keep-alive connection. Every level is bounded in
requests and in time. Any non-200 answer counts as an error.

    python bench/serve_bench.py --docs ../shared/data/clean_news.jsonl --concurrency 1 8 \
        --requests 200 --max-seconds 60
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_texts(path: Path, n: int, min_words: int, max_words: int) -> list[str]:
    texts = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            if min_words <= len(text.split()) <= max_words:
                texts.append(text)
            if len(texts) == n:
                break
    if not texts:
        sys.exit(f"no text of {min_words}-{max_words} words in {path}")
    return texts


def start_server(port: int, model: str, workers: int) -> subprocess.Popen:
    unspin = Path(sys.executable).with_name("unspin")
    cmd = [str(unspin) if unspin.exists() else "unspin", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--model", model, "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited: {proc.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    sys.exit("server did not start within 120 s")


def run_level(url: str, texts: list[str], concurrency: int, requests: int, max_seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.perf_counter() + max_seconds

    def client(worker: int) -> None:
        with httpx.Client(timeout=60) as c:
            while time.perf_counter() < stop_at:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                text = texts[(i + worker) % len(texts)]
                t0 = time.perf_counter()
                try:
                    r = c.post(url, json={"text": text})
                    ok = r.status_code == 200 and "score" in r.json()
                    why = f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, why = False, type(e).__name__
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    if not ok:
                        errors.append(why)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    return {"concurrency": concurrency, "requests": len(lat), "errors": len(errors),
            "error_kinds": sorted(set(errors)), "seconds": round(wall, 2), "rps": round(len(lat) / wall, 2),
            "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            "max_ms": round(lat[-1] * 1000, 1) if lat else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/clean_news.jsonl")
    ap.add_argument("--texts", type=int, default=100, help="how many distinct texts to cycle through")
    ap.add_argument("--min-words", type=int, default=250)
    ap.add_argument("--max-words", type=int, default=350)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--requests", type=int, default=200, help="requests per concurrency level (upper bound)")
    ap.add_argument("--max-seconds", type=float, default=60, help="time per concurrency level (upper bound)")
    ap.add_argument("--warmup", type=int, default=10, help="requests before measuring, on texts not measured")
    ap.add_argument("--model", default="default")
    ap.add_argument("--workers", type=int, default=2, help="server worker threads (unspin serve --workers)")
    ap.add_argument("--baseline", action="store_true",
                    help="also time Checker.check on the same texts in this process, without HTTP")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()

    texts = load_texts(args.docs, args.texts + args.warmup, args.min_words, args.max_words)
    warm, texts = texts[:args.warmup], texts[args.warmup:]
    words = statistics.mean(len(t.split()) for t in texts)
    port = free_port()
    t0 = time.perf_counter()
    proc = start_server(port, args.model, args.workers)
    startup = time.perf_counter() - t0
    url = f"http://127.0.0.1:{port}/api/check"
    try:
        if warm:
            run_level(url, warm, 1, len(warm), args.max_seconds)
        load_before = os.getloadavg()[0]
        results = [run_level(url, texts, c, args.requests, args.max_seconds) for c in args.concurrency]
        load_after = os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(10)
    baseline = None
    if args.baseline:
        from unspin.checker import get_checker

        checker = get_checker(args.model)
        for t in warm:
            checker.check(t)
        lat = []
        for t in texts[: args.requests]:
            t0 = time.perf_counter()
            checker.check(t)
            lat.append(time.perf_counter() - t0)
        lat.sort()
        baseline = {"requests": len(lat), "rps": round(len(lat) / sum(lat), 2),
                    "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
                    "p95_ms": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000, 1)}
    meta = {"texts": len(texts), "mean_words": round(words), "model": args.model, "workers": args.workers,
            "server_startup_s": round(startup, 1), "cpus": os.cpu_count(),
            "loadavg_1min": [round(load_before, 2), round(load_after, 2)]}
    if args.json:
        print(json.dumps({"meta": meta, "results": results, "baseline": baseline}, indent=2))
        return
    print(f"{meta['texts']} texts of {meta['mean_words']} words on average; model {args.model}; "
          f"server workers {args.workers}; {meta['cpus']} CPUs; server ready in {meta['server_startup_s']} s; "
          f"1-min load average {meta['loadavg_1min'][0]} before, {meta['loadavg_1min'][1]} after\n")
    print("| clients | requests | errors | req/s | words/s | p50 ms | p95 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['concurrency']} | {r['requests']} | {r['errors']} | {r['rps']} | {round(r['rps'] * words):,} "
              f"| {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} |")
    if baseline:
        print(f"| in-process, no HTTP | {baseline['requests']} | - | {baseline['rps']} | "
              f"{round(baseline['rps'] * words):,} | {baseline['p50_ms']} | {baseline['p95_ms']} | - |")
    if any(r["errors"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
