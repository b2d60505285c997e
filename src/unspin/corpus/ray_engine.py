"""The Ray Data executor: the same read and check steps, run as Ray tasks and actors.

    shards --flat_map(ReadStep)--> items --map_batches(CheckStep actors)--> driver --WriteStep--> files

Items cross Ray as a small fixed schema (shard, line, words, error, payload) with each record pickled in
`payload`: input rows may hold any column types (nested JSON, Parquet timestamps), which Ray's Arrow blocks
would otherwise try, and sometimes fail, to unify. Order is preserved, so the driver writes shard by shard
exactly as the local executor does and both produce the same files.
"""
from __future__ import annotations

import logging
import pickle
from typing import Iterator

from .io import Item, UsageError
from .steps import CheckStep, ReadStep, Shard

RAY_HINT = "the Ray engine needs Ray Data: pip install 'unspin[ray]'  (or: pip install 'ray[data]')"


def _require_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise UsageError(RAY_HINT) from e
    return ray


def _to_row(item: Item) -> dict:
    return {"shard": item.shard, "line": item.line, "words": item.words, "error": item.error,
            "payload": None if item.record is None else pickle.dumps(item.record, protocol=5)}


def _from_rows(table) -> list[Item]:
    cols = {name: table.column(name).to_pylist() for name in ("shard", "line", "words", "error", "payload")}
    return [Item(s, ln, None if p is None else pickle.loads(p), e, w)
            for s, ln, w, e, p in zip(cols["shard"], cols["line"], cols["words"], cols["error"], cols["payload"])]


def _table(items: list[Item]):
    import pyarrow as pa

    rows = [_to_row(i) for i in items]
    schema = pa.schema([("shard", pa.int64()), ("line", pa.int64()), ("words", pa.int64()),
                        ("error", pa.string()), ("payload", pa.binary())])
    return pa.Table.from_pylist(rows, schema=schema)


def _read(row: dict, step: ReadStep) -> Iterator[dict]:
    """flat_map function (a Ray task): one shard description -> its items, streamed."""
    shard = Shard(int(row["index"]), row["path"], row["key"])
    for item in step.run([shard]):
        yield _to_row(item)


class _Check:
    """map_batches callable class: one per actor, so the checker loads once per actor."""

    def __init__(self, step: CheckStep):
        self.step = step
        self.step.checker

    def __call__(self, batch):
        return _table(self.step.run_batch(_from_rows(batch)))


class RayExecutor:
    def __init__(self, workers: int | None = 1, address: str | None = None):
        self.workers = None if workers is None else max(1, int(workers))  # None: one per cluster CPU
        self.address = address

    def _init(self):
        ray = _require_ray()
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING)
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        return ray

    def run(self, shards: list[Shard], read: ReadStep, check: CheckStep, batch_size: int) -> Iterator[list[Item]]:
        if not shards:
            return
        ray = self._init()
        if self.workers is None:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # shard order, so the driver writes as the local executor
        ctx.enable_progress_bars = False  # our own bar reports documents, words and flags
        # small read blocks: a single big input file still spreads over every actor, and memory stays bounded
        ctx.target_max_block_size = 128 * 1024
        ds = ray.data.from_items([{"index": s.index, "path": s.path, "key": s.key} for s in shards],
                                 override_num_blocks=len(shards))
        # reading is light next to checking: zero-CPU read tasks never wait behind the checking actors
        ds = ds.flat_map(_read, fn_kwargs={"step": read}, num_cpus=0)
        ds = ds.map_batches(_Check, fn_constructor_args=(check,), batch_size=batch_size, batch_format="pyarrow",
                            compute=ray.data.ActorPoolStrategy(size=self.workers), num_cpus=1)
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            if batch.num_rows:
                yield _from_rows(batch)
