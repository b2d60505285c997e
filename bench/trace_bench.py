"""Benchmark of `unspin trace` (issue 3): real recall@1, synthetic recall at scale with hard distractors,
false matches once the sources are removed, build speed, query latency, index size, and datasketch
MinHashLSH over word 5-gram shingles side by side on the same data.

    python bench/trace_bench.py --distractors 100000 --checkpoint 10000

Data: ../shared/data/dev_pairs.jsonl and clean_news.jsonl (read only; nothing is copied into the repo).
Distractors are made hard on purpose: every one is built from sentences of the very same news texts
(recombined at random), and each real text also has "other copies of the same story" (one with 1-3
sentences dropped, two that take 40-70 % of it and fill up with other stories' sentences).
Queries are the real texts spun by the reference spinner (`unspin.spinner.Spinner`) at each rate.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

SWEEP = (0.4, 0.5, 0.6, 0.7)
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SENT_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[A-Z“\"(])|\n+")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def real_corpus(data: Path):
    """The ~350 real documents (dev originals deduplicated by text, clean news) and the dev queries."""
    pairs, news = load(data / "dev_pairs.jsonl"), load(data / "clean_news.jsonl")
    by_text: dict[str, str] = {}
    docs = []
    for p in pairs:
        if p["orig_text"] not in by_text:
            by_text[p["orig_text"]] = f"orig:{p['id']}"
            docs.append({"id": by_text[p["orig_text"]], "text": p["orig_text"], "kind": "dev-original"})
    docs += [{"id": f"news:{n['id']}", "text": n["text"], "kind": "clean-news"} for n in news]
    queries = [{"id": p["id"], "text": p["spun_text"], "kind": p["kind"], "gold": by_text[p["orig_text"]]} for p in pairs]
    return docs, queries


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENT_SPLIT.split(text) if len(s.split()) >= 4]


def distractors(real: list[dict], n: int, seed: int):
    """Story copies of every real text first, then documents recombined from random real sentences."""
    rng = random.Random(seed)
    per_doc = [sentences(d["text"]) for d in real]
    pool = [s for ss in per_doc for s in ss]
    made = 0
    for d, ss in zip(real, per_doc):
        if len(ss) < 4:
            continue
        others = lambda k: rng.sample(pool, k)  # noqa: E731
        drop = set(rng.sample(range(len(ss)), min(len(ss) - 2, rng.randint(1, 3))))
        copies = [" ".join(s for i, s in enumerate(ss) if i not in drop)]
        for _ in range(2):
            span = max(2, int(len(ss) * rng.uniform(0.4, 0.7)))
            a = rng.randrange(0, len(ss) - span + 1)
            mixed = ss[a : a + span] + others(rng.randint(4, 10))
            rng.shuffle(mixed)
            copies.append(" ".join(mixed))
        for j, text in enumerate(copies):
            if made >= n:
                return
            yield {"id": f"copy:{d['id']}:{j}", "text": text, "story": d["id"]}
            made += 1
    i = 0
    while made < n:
        ss = rng.sample(pool, rng.randint(8, 20))
        yield {"id": f"mix:{i}", "text": "\n\n".join(" ".join(ss[k : k + 3]) for k in range(0, len(ss), 3))}
        made += 1
        i += 1


def spun_queries(real: list[dict], rate: float, seed: int, cache: Path) -> list[dict]:
    path = cache / f"spun_{rate}_{seed}.jsonl"
    if path.exists():
        return load(path)
    from unspin.spinner import Spinner

    spinner, out = Spinner(seed=seed), []
    t = time.time()
    for d in real:
        out.append({"id": d["id"], "text": spinner.spin(d["text"], rate=rate).spun_text, "gold": d["id"]})
    print(f"  spun {len(out)} texts at rate {rate} in {time.time() - t:.0f} s", file=sys.stderr)
    path.write_text("".join(json.dumps(q) + "\n" for q in out))
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def run_queries(idx, queries, k=3):
    """recall@1, latencies (ms) and the top-1 (id, score) per query."""
    lat, cpu, top = [], [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        m = idx.trace(q["text"], k=k)
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        top.append((m[0].id, m[0].score) if m else (None, 0.0))
    hits = [t[0] == q["gold"] for t, q in zip(top, queries)]
    return {"recall@1": sum(hits) / len(hits), "n": len(hits), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95),
            "cpu_p50_ms": pct(cpu, 0.5), "cpu_p95_ms": pct(cpu, 0.95), "top": top, "hits": hits}


# -- the baseline: datasketch MinHashLSH over word 5-gram shingles ------------------------------------
class ShingleLSH:
    def __init__(self, threshold: float, num_perm: int = 128):
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.num_perm, self.sigs = num_perm, {}

    def minhash(self, text: str):
        from datasketch import MinHash

        words = re.findall(r"\w+", text.lower())
        sh = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=self.num_perm)
        m.update_batch(list(sh))
        return m

    def add(self, doc_id: str, text: str):
        m = self.minhash(text)
        self.sigs[doc_id] = m
        self.lsh.insert(doc_id, m)

    def trace(self, text: str):
        m = self.minhash(text)
        cands = self.lsh.query(m)
        return max(cands, key=lambda c: m.jaccard(self.sigs[c])) if cands else None


def minhash_eval(docs_iter, queries_by_name, thresholds):
    out = {}
    lshs = {t: ShingleLSH(t) for t in thresholds}
    t0, c0, n = time.perf_counter(), time.process_time(), 0
    for d in docs_iter:
        m = None
        for t, l in lshs.items():
            if m is None:
                m = l.minhash(d["text"])
            l.sigs[d["id"]] = m
            l.lsh.insert(d["id"], m)
        n += 1
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    for t, l in lshs.items():
        res = {"build_docs_per_s": n / build_s, "build_docs_per_cpu_s": n / build_cpu}
        for name, qs in queries_by_name.items():
            lat, hits = [], 0
            for q in qs:
                s = time.perf_counter()
                top = l.trace(q["text"])
                lat.append((time.perf_counter() - s) * 1000)
                hits += top == q["gold"]
            res[name] = {"recall@1": hits / len(qs), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95)}
        out[t] = res
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distractors", type=int, default=100_000)
    ap.add_argument("--checkpoint", type=int, default=10_000, help="also measure queries at this many documents")
    ap.add_argument("--rates", type=float, nargs="+", default=[0.3, 0.5])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default="/tmp/unspin-trace-bench")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--minhash-thresholds", type=float, nargs="*", default=[0.5, 0.2])
    ap.add_argument("--workers", type=int, default=2, help="fingerprinting processes during the build")
    ap.add_argument("--json", dest="json_out", help="write all figures here as JSON")
    args = ap.parse_args()

    from unspin.lexicon import Lexicon
    from unspin.trace import DEFAULT_THRESHOLD, Index

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    real, dev_queries = real_corpus(Path(args.data))
    Lexicon.default()  # load once, outside the timings
    R: dict = {"load_average_at_start": os.getloadavg(), "distractors": args.distractors, "real_docs": len(real)}
    print(f"real documents: {len(real)}; dev queries: {len(dev_queries)}", file=sys.stderr)

    # (a) real: all originals + clean news indexed, every spun dev text queried
    path = work / "real.db"
    for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    with Index(path) as idx:
        idx.add(real)
        res = run_queries(idx, dev_queries)
    per_kind = defaultdict(list)
    for q, hit in zip(dev_queries, res["hits"]):
        per_kind[q["kind"]].append(hit)
    R["real"] = {"recall@1": res["recall@1"], "n": res["n"], "p50_ms": res["p50_ms"], "p95_ms": res["p95_ms"],
                 "per_kind": {k: {"recall@1": sum(v) / len(v), "n": len(v)} for k, v in sorted(per_kind.items())},
                 "misses": [(q["id"], t) for q, t, h in zip(dev_queries, res["top"], res["hits"]) if not h]}
    R["real_minhash"] = minhash_eval(iter(real), {"dev": dev_queries}, args.minhash_thresholds)
    print(json.dumps(R["real"]), file=sys.stderr)

    # (b) synthetic at scale
    queries = {f"rate {r}": spun_queries(real, r, args.seed, work) for r in args.rates}
    path = work / "synthetic.db"
    for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    idx = Index(path)
    R["synthetic"] = {}
    stream = iter(distractors(real, args.distractors, args.seed))
    total_build_s = total_cpu_s = 0.0
    n_docs = 0

    def cpu() -> float:  # this process and its finished children (the fingerprinting workers)
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def add(docs):
        nonlocal total_build_s, total_cpu_s, n_docs
        t, c = time.perf_counter(), cpu()
        idx.add(docs, batch_size=1000, workers=args.workers)
        total_build_s += time.perf_counter() - t
        total_cpu_s += cpu() - c
        n_docs += len(docs)

    add(real)
    stages = sorted({c for c in (args.checkpoint,) if 0 < c < args.distractors + len(real)} | {args.distractors + len(real)})
    for stage in stages:
        batch = []
        for d in stream:
            batch.append(d)
            if len(batch) >= 5000:
                add(batch)
                batch = []
            if n_docs + len(batch) >= stage:
                break
        if batch:
            add(batch)
        st = idx.stats()
        entry = {"documents": st["documents"], "size_mb": st["size_bytes"] / 1e6,
                 "bytes_per_doc": st["bytes_per_document"], "build_docs_per_s": n_docs / total_build_s,
                 "build_docs_per_cpu_s": n_docs / total_cpu_s, "load_average": os.getloadavg()}
        for name, qs in queries.items():
            r = run_queries(idx, qs)
            entry[name] = {k: r[k] for k in ("recall@1", "n", "p50_ms", "p95_ms", "cpu_p50_ms", "cpu_p95_ms")}
            entry[name]["correct_top1_scoring_at_least"] = {t: sum(
                1 for (i, s), h in zip(r["top"], r["hits"]) if h and s >= t) / len(qs) for t in SWEEP}
        R["synthetic"][st["documents"]] = entry
        print(json.dumps({st["documents"]: entry}), file=sys.stderr)

    # false matches: the sources and their story copies removed, the same spun queries
    gone = [d["id"] for d in real] + [f"copy:{d['id']}:{j}" for d in real for j in range(3)]
    idx.remove(gone)
    fm = {"removed": len(gone), "threshold": DEFAULT_THRESHOLD}
    real_by_id = {d["id"]: d for d in real}
    for name, qs in queries.items():
        r = run_queries(idx, qs)
        scores = sorted((s for _, s in r["top"]), reverse=True)
        above = []
        for q, (mid, score) in zip(qs, r["top"]):
            if score >= min(SWEEP):
                # how much of the source this distractor really holds, by construction: the share of the
                # source's words in its sentences that the distractor contains verbatim
                ss = sentences(real_by_id[q["gold"]]["text"])
                held = idx.get(mid)["text"]
                shared = sum(len(x.split()) for x in ss if x in held) / max(1, sum(len(x.split()) for x in ss))
                above.append((q["id"], mid, round(score, 3), round(shared, 2)))
        fm[name] = {"queries": len(qs), "max_top1_score": scores[0] if scores else 0.0,
                    "p99_top1_score": pct(scores, 0.01), "above": above,
                    "sweep": {t: {"above": sum(a[2] >= t for a in above),
                                  "sharing_under_half": sum(a[2] >= t and a[3] < 0.5 for a in above)}
                              for t in SWEEP}}
    R["false_matches"] = fm
    idx.close()
    print(json.dumps(fm), file=sys.stderr)

    # the baseline on the same synthetic data (sources included)
    t = time.perf_counter()
    R["synthetic_minhash"] = minhash_eval(
        iter(real + list(distractors(real, args.distractors, args.seed))), queries, args.minhash_thresholds)
    R["synthetic_minhash"]["seconds"] = time.perf_counter() - t
    R["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    R["load_average_at_end"] = os.getloadavg()
    out = json.dumps(R, indent=1, default=str)
    if args.json_out:
        Path(args.json_out).write_text(out)
    print(out)


if __name__ == "__main__":
    main()
