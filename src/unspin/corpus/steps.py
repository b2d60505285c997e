"""The scan pipeline as small steps, in the spirit of datatrove: read -> check -> write.

Each step is a class whose `run(items, rank=0, world_size=1)` takes and yields `Item`s (the read step
takes shards), so steps chain as generators and any executor can run them: the local executor runs the
check step in worker processes, the Ray executor runs the very same classes in Ray Data tasks and actors.
Each step keeps its own counters (`stats`) for the closing summary.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator

from .io import Item, iter_items

RESULT_COLUMNS = ("score", "spun", "n_spans")


@dataclass(slots=True)
class Shard:
    """One input file: the unit of parallel reading, of output and of resumption."""

    index: int
    path: str
    key: str  # stable file-name stem of its output: "<input stem>-<hash of the input path>"

    @classmethod
    def of(cls, index: int, path: str) -> "Shard":
        import hashlib

        base = os.path.basename(path)
        for s in (".jsonl.zst", ".jsonl.gz", ".jsonl", ".parquet"):
            if base.lower().endswith(s):
                base = base[: -len(s)]
                break
        digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:8]
        return cls(index, path, f"{base}-{digest}")


class Step:
    name = "step"

    def __init__(self) -> None:
        self.stats: Counter = Counter()

    def stat_update(self, key: str, value: int = 1) -> None:
        self.stats[key] += value


class ReadStep(Step):
    """Shards -> one item per input line or row, malformed ones carrying their error."""

    name = "read"

    def __init__(self, text_field: str = "text", batch_size: int = 256):
        super().__init__()
        self.text_field = text_field
        self.batch_size = batch_size

    def run(self, shards: Iterable[Shard], rank: int = 0, world_size: int = 1, raw: bool = False) -> Iterator[Item]:
        """With `raw`, JSON Lines lines are left unparsed (`Item.raw`): `CheckStep.parse_batch` parses them
        in the worker, so the driver only moves bytes."""
        for shard in shards:
            if shard.index % world_size != rank:
                continue
            for item in iter_items(shard.path, shard.index, self.text_field, self.batch_size, parse=not raw):
                self.stat_update("read")
                if item.error:
                    self.stat_update("malformed")
                yield item


def _check_row(checker, record: dict, *, text_field: str, id_field: str, spans: bool, restore: bool,
               index=None) -> dict:
    """The columns one document adds to its row (tracing, with an index, happens inside the checker)."""
    doc_id = record.get(id_field)
    report = checker.check(record[text_field], id=None if doc_id is None else str(doc_id))
    out = {"score": round(float(report.score), 6), "spun": bool(report.spun), "n_spans": len(report.spans)}
    if spans:
        out["spans"] = json.dumps([s.to_dict() for s in report.spans], ensure_ascii=False)
    if restore:
        out["restored"] = report.restored
    return out


_WARMED: set[int] = set()
WARM_UP_TEXT = "The minister said on Thursday that the new plan would help the region."


def _warm_up(checker) -> None:
    """Check one fixed text once per process before any real row.

    Loads the checker's lazy parts (models, lexicon caches) before the first row, so that start-up is
    paid once per worker up front and not inside the first batch's timing.
    """
    if id(checker) not in _WARMED:
        checker.check(WARM_UP_TEXT)
        _WARMED.add(id(checker))


class CheckStep(Step):
    """Adds score, spun and n_spans (and spans, restored) to each good item; the checker loads once."""

    name = "check"

    def __init__(self, model: str = "default", text_field: str = "text", id_field: str = "id",
                 spans: bool = False, restore: bool = False, index=None):
        super().__init__()
        self.model, self.text_field, self.id_field = model, text_field, id_field
        self.spans, self.restore, self.index = spans, restore, index
        self._checker = None

    @property
    def checker(self):
        if self._checker is None:
            from ..checker import get_checker

            # with an index, the checker opens it read-only once per worker and traces every row
            self._checker = get_checker(self.model, "fast", None if self.index is None else str(self.index))
            _warm_up(self._checker)
        return self._checker

    def __getstate__(self):  # ship the recipe to workers, not a loaded model
        return {"model": self.model, "text_field": self.text_field, "id_field": self.id_field,
                "spans": self.spans, "restore": self.restore, "index": self.index}

    def __setstate__(self, state):
        self.__init__(**state)

    def run(self, items: Iterable[Item], rank: int = 0, world_size: int = 1) -> Iterator[Item]:
        for item in items:
            if item.record is not None:
                text = item.record[self.text_field]
                item.words = len(text.split())
                try:
                    item.record.update(_check_row(self.checker, item.record, text_field=self.text_field,
                                                  id_field=self.id_field, spans=self.spans,
                                                  restore=self.restore, index=self.index))
                except Exception as e:  # one bad document (e.g. InputTooLarge) must not stop the run
                    item.error = f"check failed: {type(e).__name__}: {e}"
                    item.record = None
                    self.stat_update("failed")
                else:
                    self.stat_update("checked")
                    self.stat_update("words", item.words)
                    self.stat_update("flagged", int(item.record["spun"]))
            yield item

    def run_batch(self, items: list[Item]) -> list[Item]:
        return list(self.run(items))

    def parse_batch(self, items: list[Item]) -> list[Item]:
        """Parse the raw lines a raw read left (see `ReadStep.run`); other items pass unchanged."""
        for item in items:
            item.parse_raw(self.text_field)
        return items


@dataclass
class ShardCounts:
    read: int = 0
    written: int = 0
    rejected: int = 0
    flagged: int = 0
    words: int = 0

    def add(self, other: "ShardCounts") -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))


class WriteStep(Step):
    """Items (in shard order) -> one output part per shard, plus its errors; marks each shard done.

    Shards with no item at all (empty files) are completed too, so `pending` must list every shard the
    executor was given, in order.
    """

    name = "write"

    def __init__(self, layout, pending: list[Shard], on_batch=None):
        super().__init__()
        self.layout = layout
        self.pending = pending
        self.on_batch = on_batch  # progress callback(list[Item])
        self.totals = ShardCounts()
        self._pos = 0
        self._open = None  # (shard, ShardWriter)

    def _advance_to(self, index: int | None) -> None:
        """Finish the open shard and every shard before `index` (None = all)."""
        while self._pos < len(self.pending) and (index is None or self.pending[self._pos].index < index):
            shard = self.pending[self._pos]
            writer = self._open[1] if self._open and self._open[0] is shard else self.layout.begin(shard)
            counts = writer.commit()
            self.totals.add(counts)
            self._open = None
            self._pos += 1
        if index is not None and (self._open is None or self._open[0].index != index):
            shard = self.pending[self._pos]
            assert shard.index == index, f"item of shard {index} out of order (expected {shard.index})"
            self._open = (shard, self.layout.begin(shard))

    def write_batch(self, items: list[Item]) -> None:
        run: list[Item] = []
        for item in items:
            if run and item.shard != run[0].shard:
                self._write_run(run)
                run = []
            run.append(item)
        if run:
            self._write_run(run)
        if self.on_batch:
            self.on_batch(items)

    def _write_run(self, items: list[Item]) -> None:
        self._advance_to(items[0].shard)
        self._open[1].write(items)
        self.stat_update("items", len(items))

    def close(self) -> ShardCounts:
        self._advance_to(None)
        return self.totals

    def run(self, batches: Iterable[list[Item]], rank: int = 0, world_size: int = 1) -> ShardCounts:
        for batch in batches:
            self.write_batch(batch)
        return self.close()
