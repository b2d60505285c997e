"""Where a scan writes, and how it resumes.

Every shard (input file) is written to a temporary file, then renamed into place, then marked done with a
small JSON marker holding its counts and a fingerprint of the input and options. A rerun skips shards
whose marker matches; an interrupted run leaves only temporary files, never a file that looks complete.

Layouts:
- a folder `OUT/` (no known suffix): `OUT/<shard>.parquet` (or `--format`), markers and per-shard errors in
  `OUT/_unspin/` (readers such as pyarrow.dataset skip `_` paths);
- one file `OUT.parquet` / `OUT.jsonl[.gz|.zst]`: shards are written to `OUT.parquet.parts/` and merged into
  the file at the end (then the parts are removed).
The errors of the whole run go beside the output: `OUT.errors.jsonl`.
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Iterable

from .io import SUFFIXES, Item, ParquetSink, UsageError, dumps, make_sink, suffix_of
from .steps import Shard, ShardCounts

MARKER_VERSION = 1


def _atomic_write_text(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ShardWriter:
    """Writes one shard's rows and errors to temporary files; `commit` renames them and marks it done."""

    def __init__(self, layout: "Layout", shard: Shard):
        self.layout, self.shard = layout, shard
        self.final = layout.shard_path(shard)
        self.tmp = os.path.join(layout.state_dir, f"{shard.key}{layout.fmt}.tmp")
        self.errors_final = layout.shard_errors_path(shard)
        self.errors_tmp = self.errors_final + ".tmp"
        self.sink = make_sink(self.tmp, layout.fmt)
        self._errors = open(self.errors_tmp, "w", encoding="utf-8")
        self.counts = ShardCounts()

    def _reject(self, line: int, error: str) -> None:
        self._errors.write(dumps({"file": self.shard.path, "line": line, "error": error}) + "\n")
        self.counts.rejected += 1

    def write(self, items: Iterable[Item]) -> None:
        good: list[Item] = []
        for item in items:
            self.counts.read += 1
            if item.record is None:
                self._reject(item.line, item.error or "rejected")
            else:
                good.append(item)
        bad = dict(self.sink.write([it.record for it in good]))
        for i, item in enumerate(good):
            if i in bad:
                self._reject(item.line, bad[i])
            else:
                self.counts.written += 1
                self.counts.flagged += int(bool(item.record.get("spun")))
                self.counts.words += item.words

    def commit(self) -> ShardCounts:
        self.sink.close()
        self._errors.close()
        os.replace(self.tmp, self.final)
        os.replace(self.errors_tmp, self.errors_final)
        marker = {"version": MARKER_VERSION, "fingerprint": self.layout.fingerprint(self.shard),
                  "counts": vars(self.counts)}
        _atomic_write_text(self.layout.marker_path(self.shard), json.dumps(marker))
        return self.counts


class Layout:
    def __init__(self, output: str, options: dict, fmt: str | None = None):
        output = os.fspath(output)
        suffix = suffix_of(output)
        self.single = suffix is not None
        if not self.single:
            root, ext = os.path.splitext(output.rstrip("/"))
            if ext and not os.path.isdir(output) and not output.endswith("/"):
                raise UsageError(f"{output}: unknown output format {ext!r} (use {', '.join(SUFFIXES)}, "
                                 "or a folder name for a folder of shards)")
        if fmt is not None and fmt not in SUFFIXES:
            raise UsageError(f"unknown shard format {fmt!r} (use {', '.join(SUFFIXES)})")
        self.fmt = suffix or fmt or ".parquet"
        self.output = output.rstrip("/") if not self.single else output
        self.options = dict(options, format=self.fmt)
        if self.single:
            self.data_dir = self.output + ".parts"
            self.state_dir = self.data_dir
            self.errors_path = self.output[: -len(suffix)] + ".errors.jsonl"
        else:
            self.data_dir = self.output
            self.state_dir = os.path.join(self.output, "_unspin")
            self.errors_path = self.output + ".errors.jsonl"

    def prepare(self) -> None:
        os.makedirs(self.state_dir, exist_ok=True)

    def shard_path(self, shard: Shard) -> str:
        return os.path.join(self.data_dir, shard.key + self.fmt)

    def shard_errors_path(self, shard: Shard) -> str:
        return os.path.join(self.state_dir, shard.key + ".errors.jsonl")

    def marker_path(self, shard: Shard) -> str:
        return os.path.join(self.state_dir, shard.key + ".done.json")

    def fingerprint(self, shard: Shard) -> dict:
        st = os.stat(shard.path)
        return {"input": os.path.abspath(shard.path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "options": self.options}

    def done(self, shard: Shard) -> ShardCounts | None:
        """The counts of a shard completed by an earlier run with the same input and options, else None."""
        try:
            with open(self.marker_path(shard), encoding="utf-8") as f:
                marker = json.load(f)
        except (OSError, ValueError):
            return None
        if marker.get("version") != MARKER_VERSION or marker.get("fingerprint") != self.fingerprint(shard):
            return None
        if not (os.path.exists(self.shard_path(shard)) and os.path.exists(self.shard_errors_path(shard))):
            return None
        return ShardCounts(**marker["counts"])

    def begin(self, shard: Shard) -> ShardWriter:
        try:  # a stale marker must not survive a rewrite of its shard
            os.remove(self.marker_path(shard))
        except FileNotFoundError:
            pass
        return ShardWriter(self, shard)

    def finish(self, shards: list[Shard], rejected: int) -> None:
        """Gather the errors beside the output and, for one-file output, merge the parts into it."""
        self._merge_errors(shards, rejected)
        if not self.single:
            return
        tmp = f"{self.output}.tmp-{os.getpid()}"
        if self.fmt == ".parquet":
            self._merge_parquet(shards, tmp)
        else:  # concatenated JSON Lines, gzip members and zstd frames are each still one valid file
            with open(tmp, "wb") as out:
                for shard in shards:
                    with open(self.shard_path(shard), "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
        os.replace(tmp, self.output)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _merge_parquet(self, shards: list[Shard], tmp: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = ParquetSink(tmp)
        try:
            for shard in shards:
                part = pq.ParquetFile(self.shard_path(shard))
                for batch in part.iter_batches(batch_size=4096):
                    try:
                        sink.write_arrow(batch)
                    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
                        raise UsageError(f"{shard.path}: its column types cannot join those of earlier inputs "
                                         f"in one Parquet file ({e}); write a folder of shards (-o DIR/) "
                                         "or JSON Lines instead") from e
            sink.close()
        except BaseException:
            sink.close()
            os.remove(tmp)
            raise

    def _merge_errors(self, shards: list[Shard], rejected: int) -> None:
        if not rejected:
            if os.path.exists(self.errors_path):
                os.remove(self.errors_path)
            return
        tmp = f"{self.errors_path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as out:
            for shard in shards:
                with open(self.shard_errors_path(shard), "rb") as f:
                    shutil.copyfileobj(f, out)
        os.replace(tmp, self.errors_path)
