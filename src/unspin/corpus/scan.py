"""`unspin.scan`: check every document of a corpus and write one result row per input row.

    >>> import unspin
    >>> summary = unspin.scan(["news/*.jsonl.gz"], "scored.parquet", workers=2)
    >>> summary.read == summary.written + summary.rejected
    True
"""
from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import asdict, dataclass

from .io import UsageError, count_rows, expand_inputs
from .steps import CheckStep, ReadStep, Shard, ShardCounts, WriteStep
from .store import Layout

EXIT_OK, EXIT_USAGE, EXIT_REJECTED = 0, 2, 3
# documents per batch. Local workers pull small batches, so they finish together (with 16, the last
# batch left one of two workers idle for ~4% of a 400-document run); Ray calls cost more per batch.
DEFAULT_BATCH = {"local": 4, "ray": 16}


@dataclass
class ScanSummary:
    read: int
    written: int
    rejected: int
    flagged: int
    words: int
    shards: int
    skipped_shards: int  # completed by an earlier run and not redone
    seconds: float
    output: str
    errors_path: str | None
    engine: str
    workers: int

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTED if self.rejected else EXIT_OK

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        s = (f"read {self.read:,}, written {self.written:,}, flagged {self.flagged:,}, "
             f"rejected {self.rejected:,} -> {self.output}")
        if self.skipped_shards:
            s += f" ({self.skipped_shards} of {self.shards} shard(s) already complete, skipped)"
        if self.errors_path:
            s += f"\nrejected rows: {self.errors_path}"
        return s


class _Progress:
    """tqdm bar on stderr: documents/s, words/s, ETA and documents flagged so far."""

    def __init__(self, shards: list[Shard], enabled: bool | None):
        from tqdm import tqdm

        # disable=None: only on a terminal, unless asked explicitly
        self.bar = tqdm(total=None, unit="doc", file=sys.stderr, disable=None if enabled is None else not enabled,
                        dynamic_ncols=True, smoothing=0.1)
        self.words = self.flagged = 0
        if not self.bar.disable and shards:
            # the total (for the ETA) is counted beside the run, not before it
            threading.Thread(target=self._count, args=([s.path for s in shards],), daemon=True).start()

    def _count(self, paths: list[str]) -> None:
        total = 0
        for p in paths:
            try:
                total += count_rows(p)
            except Exception:
                return
        self.bar.total = total
        self.bar.refresh()

    def __call__(self, items) -> None:
        self.words += sum(i.words for i in items)
        self.flagged += sum(1 for i in items if i.record is not None and i.record.get("spun"))
        self.bar.update(len(items))
        docs_per_s = self.bar.format_dict.get("rate") or 0.0  # tqdm's smoothed rate, as its doc/s
        words_per_s = docs_per_s * self.words / max(self.bar.n, 1)
        self.bar.set_postfix_str(f"{words_per_s:,.0f} words/s, flagged {self.flagged:,}")

    def close(self) -> None:
        self.bar.close()


def scan(inputs, output, *, text_field: str = "text", id_field: str = "id", workers: int | None = None,
         engine: str = "local", address: str | None = None, model: str = "default", spans: bool = False,
         restore: bool = False, batch_size: int | None = None, shard_format: str | None = None,
         index=None, progress: bool | None = None) -> ScanSummary:
    """Check every document of `inputs` (files, globs, folders of .jsonl[.gz|.zst] / .parquet) into `output`.

    `output` is one file (.parquet, .jsonl, .jsonl.gz, .jsonl.zst) or a folder of shards (one per input
    file; `shard_format` chooses their format, Parquet by default). Every output row keeps its input
    columns and adds `score`, `spun`, `n_spans` (and `spans` as JSON, `restored`). Rows that cannot be read
    or checked go to `<output>.errors.jsonl`; read == written + rejected. Rerunning with the same output
    skips the shards an earlier (interrupted) run completed. Raises `UsageError` for impossible requests.
    """
    t0 = time.perf_counter()
    if engine not in ("local", "ray"):
        raise UsageError(f"unknown engine {engine!r} (use 'local' or 'ray')")
    if batch_size is None:
        batch_size = DEFAULT_BATCH.get(engine, 16)
    if batch_size < 1:
        raise UsageError("batch_size must be at least 1")
    if workers is not None and workers < 1:
        raise UsageError("workers must be at least 1")
    if workers is None and not (engine == "ray" and address):  # on a cluster: one actor per cluster CPU
        workers = os.cpu_count() or 1
    options = {"text_field": text_field, "id_field": id_field, "model": model, "spans": spans, "restore": restore}
    if index is not None:
        options["index"] = str(index)
    layout = Layout(output, options, shard_format)
    files = expand_inputs(inputs)
    # the output, its errors file or its folder inside an input folder must not be read back on a rerun
    ours = tuple(os.path.abspath(d) + os.sep for d in (layout.data_dir, layout.state_dir))
    own_files = {os.path.abspath(layout.output), os.path.abspath(layout.errors_path)}
    files = [f for f in files if not f.startswith(ours) and f not in own_files]
    if not files:
        raise UsageError("no input file left outside the output folder")
    shards = [Shard.of(i, p) for i, p in enumerate(files)]
    if len({s.key for s in shards}) != len(shards):  # sha1 of distinct paths: never in practice
        raise UsageError("two inputs map to the same shard name")
    layout.prepare()

    totals = ShardCounts()
    pending: list[Shard] = []
    for shard in shards:
        done = layout.done(shard)
        if done is None:
            pending.append(shard)
        else:
            totals.add(done)

    read = ReadStep(text_field, batch_size)
    check = CheckStep(model, text_field, id_field, spans=spans, restore=restore, index=index)
    if engine == "ray":
        from .ray_engine import RayExecutor

        executor = RayExecutor(workers, address)
    else:
        from .local import LocalExecutor

        executor = LocalExecutor(workers)

    bar = _Progress(pending, progress)
    try:
        write = WriteStep(layout, pending, on_batch=bar)
        totals.add(write.run(executor.run(pending, read, check, batch_size)))
    finally:
        bar.close()
    layout.finish(shards, totals.rejected)
    assert totals.read == totals.written + totals.rejected, "scan lost rows"
    return ScanSummary(read=totals.read, written=totals.written, rejected=totals.rejected, flagged=totals.flagged,
                       words=totals.words, shards=len(shards), skipped_shards=len(shards) - len(pending),
                       seconds=time.perf_counter() - t0, output=layout.output,
                       errors_path=layout.errors_path if totals.rejected else None, engine=engine,
                       workers=executor.workers or 0)
