"""Corpus files in and out: JSON Lines (plain, .gz, .zst) and Parquet, streamed batch by batch.

Readers yield `Item`s, one per input line or row, each either a record or the reason it was rejected, so
that nothing is dropped silently. Writers take batches of records and never load a whole file.
"""
from __future__ import annotations

import base64
import datetime as _dt
import decimal
import glob
import gzip
import io
import json
import os
from dataclasses import dataclass
from typing import IO, Any, Iterator

from ..textio import check_record, parse_jsonl_line

JSONL_SUFFIXES = (".jsonl.zst", ".jsonl.gz", ".jsonl")
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = JSONL_SUFFIXES + PARQUET_SUFFIXES


class UsageError(ValueError):
    """The caller asked for something impossible (no inputs, unknown format): exit code 2."""


@dataclass(slots=True)
class Item:
    """One input line or row on its way through the pipeline."""

    shard: int
    line: int  # 1-based line number (JSONL) or row number (Parquet)
    record: dict | None
    error: str | None = None
    words: int = 0
    raw: bytes | None = None  # a JSON Lines line not parsed yet (see `parse_raw`)

    def parse_raw(self, text_field: str) -> None:
        """Parse a raw line into its record, or its error (in the worker that checks it)."""
        if self.raw is not None:
            self.record, self.error = parse_jsonl_line(self.raw, text_field)
            self.raw = None


def suffix_of(path: str) -> str | None:
    low = path.lower()
    for s in SUFFIXES:
        if low.endswith(s):
            return s
    return None


def expand_inputs(inputs: list[str] | str) -> list[str]:
    """Files, globs and folders (searched recursively) -> sorted, de-duplicated supported files."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    found: list[str] = []
    for raw in map(str, inputs):
        if os.path.isdir(raw):
            # like pyarrow.dataset, skip paths starting with "_" or "." (state folders, hidden files)
            hits = [p for p in glob.glob(os.path.join(raw, "**", "*"), recursive=True)
                    if os.path.isfile(p) and suffix_of(p)
                    and not any(part.startswith(("_", ".")) for part in os.path.relpath(p, raw).split(os.sep))]
            if not hits:
                raise UsageError(f"{raw}: folder holds no {', '.join(SUFFIXES)} files")
        elif glob.has_magic(raw):
            hits = [p for p in glob.glob(raw, recursive=True) if os.path.isfile(p)]
            if not hits:
                raise UsageError(f"{raw}: pattern matches no file")
            bad = [p for p in hits if not suffix_of(p)]
            if bad:
                raise UsageError(f"{bad[0]}: unsupported format (expected {', '.join(SUFFIXES)})")
        elif os.path.isfile(raw):
            if not suffix_of(raw):
                raise UsageError(f"{raw}: unsupported format (expected {', '.join(SUFFIXES)})")
            hits = [raw]
        else:
            raise UsageError(f"{raw}: no such file or folder")
        found.extend(os.path.abspath(p) for p in sorted(hits))
    return list(dict.fromkeys(found))


# -- reading ---------------------------------------------------------------------------------------
def open_binary(path: str, mode: str = "rb", suffix: str | None = None) -> IO[bytes]:
    """Open a possibly compressed file as a binary stream (by `suffix`, default the path's own)."""
    low = (suffix or path).lower()
    if low.endswith(".gz"):
        return gzip.open(path, mode)
    if low.endswith(".zst"):
        import zstandard

        if "r" in mode:
            return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
        return zstandard.ZstdCompressor(level=3).stream_writer(open(path, mode), closefd=True)
    return open(path, mode)


def iter_jsonl(path: str, shard: int, text_field: str, parse: bool = True) -> Iterator[Item]:
    """One item per non-blank line; with `parse=False` the line stays raw bytes, parsed later."""
    with open_binary(path) as raw:
        # zstandard's reader has no line iteration of its own; BufferedReader gives it one
        stream = io.BufferedReader(raw, 1 << 20) if path.lower().endswith(".zst") else raw
        for n, line in enumerate(stream, 1):
            if line.strip():
                if parse:
                    obj, err = parse_jsonl_line(line, text_field)
                    yield Item(shard, n, obj, err)
                else:
                    yield Item(shard, n, None, raw=line)


def iter_parquet(path: str, shard: int, text_field: str, batch_size: int) -> Iterator[Item]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if text_field not in pf.schema_arrow.names:
        raise UsageError(f"{path}: no {text_field!r} column (columns: {', '.join(pf.schema_arrow.names)})")
    n = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            n += 1
            err = check_record(row, text_field)
            yield Item(shard, n, None if err else row, err)


def iter_items(path: str, shard: int, text_field: str = "text", batch_size: int = 256,
               parse: bool = True) -> Iterator[Item]:
    """Every line or row of one input file, in order; a file that cannot be opened is one error item.

    `parse=False` leaves JSON Lines lines raw (`Item.raw`), for the worker that checks them to parse."""
    try:
        if suffix_of(path) == ".parquet":
            yield from iter_parquet(path, shard, text_field, batch_size)
        else:
            yield from iter_jsonl(path, shard, text_field, parse)
    except UsageError:
        raise
    except (OSError, EOFError, ValueError) as e:  # truncated gzip/zstd, corrupt Parquet footer, ...
        # the lines already yielded stand; what follows cannot be read: one error for the rest of the file
        yield Item(shard, 0, None, f"cannot read the rest of the file: {type(e).__name__}: {e}")


def count_rows(path: str) -> int:
    """Rows in a file, cheaply: the Parquet footer, or newlines (an estimate for the progress bar)."""
    if suffix_of(path) == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    n = 0
    with open_binary(path) as f:
        while chunk := f.read(1 << 22):
            n += chunk.count(b"\n")
    return n


# -- writing ---------------------------------------------------------------------------------------
def _json_default(v: Any) -> Any:
    # values a Parquet input may hold that JSON has no type for
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode("ascii")
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_json_default)


class JsonlSink:
    """Writes records as JSON Lines (compressed by suffix)."""

    def __init__(self, path: str, suffix: str):
        self.path = path
        self._f = open_binary(path, "wb", suffix)

    def write(self, records: list[dict]) -> list[tuple[int, str]]:
        """Write; returns (index, error) for records that could not be written."""
        out, bad = [], []
        for i, r in enumerate(records):
            try:
                out.append(dumps(r))
            except (TypeError, ValueError) as e:
                bad.append((i, f"cannot write as JSON: {e}"))
        if out:
            self._f.write(("\n".join(out) + "\n").encode("utf-8"))
        return bad

    def close(self) -> None:
        self._f.close()


class ParquetSink:
    """Writes records to one Parquet file whose schema may widen as rows arrive.

    JSON Lines carry no schema: a column may be null for the first thousand rows and text afterwards, or
    appear only in a later file. When a batch needs a wider schema (pyarrow's permissive promotion: null ->
    any type, int -> float, new columns), the rows written so far are copied into a new file with the
    wider schema, batch by batch, so memory stays bounded. Rows whose values cannot be reconciled with the
    schema (a column that is a number in one row and text in another) are returned as errors.

    Batches are gathered into row groups of up to `row_group_rows` rows or `row_group_bytes` bytes, so
    small scan batches do not make a file of thousands of tiny row groups, and memory stays bounded.
    """

    def __init__(self, path: str, row_group_rows: int = 4096, row_group_bytes: int = 32 << 20):
        self.path = path
        self.schema = None
        self._writer = None
        self.row_group_rows, self.row_group_bytes = row_group_rows, row_group_bytes
        self._pending: list = []
        self._pending_rows = self._pending_bytes = 0

    def _open(self, schema) -> None:
        import pyarrow.parquet as pq

        self._writer = pq.ParquetWriter(self.path, schema)
        self.schema = schema

    def _widen(self, schema) -> None:
        import pyarrow.parquet as pq

        self._flush()
        self._writer.close()
        old = self.path + ".widen"
        os.replace(self.path, old)
        self._open(schema)
        for batch in pq.ParquetFile(old).iter_batches(batch_size=4096):
            self._writer.write_table(_conform(batch, schema))
        os.remove(old)

    def _table(self, records: list[dict]):
        import pyarrow as pa

        return self._fit(pa.Table.from_pylist(records))

    def _fit(self, table):
        if self.schema is None:
            self._open(table.schema)
            return table
        if table.schema.equals(self.schema):
            return table
        import pyarrow as pa

        wider = pa.unify_schemas([self.schema, table.schema], promote_options="permissive")
        if not wider.equals(self.schema):
            self._widen(wider)
        return _conform(table, self.schema)

    def write(self, records: list[dict]) -> list[tuple[int, str]]:
        import pyarrow as pa

        if not records:
            return []
        try:
            self._writer_write(self._table(records))
            return []
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
        bad = []  # some row in the batch disagrees: find it one row at a time
        for i, r in enumerate(records):
            try:
                self._writer_write(self._table([r]))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
                bad.append((i, f"does not fit the Parquet schema of earlier rows ({e}); write JSON Lines output to keep it"))
        return bad

    def write_arrow(self, table) -> None:
        """Append an Arrow table or record batch (merging parts); raises if its types cannot join."""
        import pyarrow as pa

        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        self._writer_write(self._fit(table))

    def _writer_write(self, table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self._pending_bytes += table.nbytes
        if self._pending_rows >= self.row_group_rows or self._pending_bytes >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending))
            self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def close(self) -> None:
        if self._writer is None:  # no row at all: an empty file still marks the shard as done
            import pyarrow as pa

            self._open(pa.schema([]))
        self._flush()
        self._writer.close()


def _conform(table, schema):
    """Reorder, add missing (null) columns and cast `table` (Table or RecordBatch) to `schema`."""
    import pyarrow as pa

    cols = []
    for field in schema:
        if field.name in table.schema.names:
            col = table.column(field.name)
            cols.append(col if col.type.equals(field.type) else col.cast(field.type))
        else:
            cols.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(cols, schema=schema)


def make_sink(path: str, fmt: str):
    return ParquetSink(path) if fmt == ".parquet" else JsonlSink(path, fmt)
