"""The archive index: one SQLite file of source documents and their spin-robust fingerprints.

    >>> import unspin
    >>> idx = unspin.Index("archive.db")
    >>> idx.add([{"id": "a1", "text": "..."}])
    >>> idx.trace(spun_text, k=3)[0].to_dict()

Layout (SQLite in WAL mode; every batch of `add` is one transaction, so a crash loses at most the
batch being written and never leaves a half-added document):

- `settings(key, value)`: the format marker, the schema version and the build settings;
- `docs(docno, id, text, metadata, fp, tokens)`: `text` is NULL with `keep_text=False`, in which case
  `tokens` holds the token comparison hashes and offsets the alignment needs; `fp` holds the document's
  fingerprint hashes so that `remove` can delete its postings exactly;
- `postings(hash, docno)`: the inverted index over fingerprint hashes (clustered by hash).

Candidates come from the inverted index (IDF-weighted count of shared fingerprints, very common
fingerprints skipped), then the best candidates are verified by passage alignment (`align.py`).
"""
from __future__ import annotations

import array
import json
import heapq
import math
import os
import sqlite3
import zlib
from operator import itemgetter
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from ..tokenize import TOKEN_RE
from .align import Alignment, Passage, Substitution, TokenSeq, align
from .fingerprint import Fingerprinter, stable_hash

FORMAT = "unspin-index"
SCHEMA_VERSION = "1"
MAX_QUERY_CHARS = 1_000_000  # a query longer than this is refused (QueryTooLarge)
WINDOW_TOKENS = 4_000  # long queries are aligned window by window against each candidate
_first, _second = itemgetter(0), itemgetter(1)
DEFAULT_THRESHOLD = 0.5  # a match scoring at least this is a source (see bench/results/trace.md)


class IndexError_(Exception):
    """The index file is missing, not an index, corrupt, or was built with other settings."""


class QueryTooLarge(ValueError):
    pass


@dataclass(slots=True)
class Match:
    id: str
    score: float
    coverage: float
    source_coverage: float
    passages: list[Passage] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    source_text: str | None = None
    candidate_score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": round(self.score, 4), "coverage": round(self.coverage, 4),
                "source_coverage": round(self.source_coverage, 4),
                "passages": [p.to_dict() for p in self.passages],
                "substitutions": [s.to_dict() for s in self.substitutions], "metadata": self.metadata}


def match_score(al: Alignment) -> float:
    """How surely the query was copied from this source: the query's aligned share, scaled down a
    little when the source holds much more than what was aligned (so the source itself outranks a
    longer text that contains it, and a short text that shares a few formulaic sentences gains
    nothing from being short)."""
    return al.coverage * (0.8 + 0.2 * al.source_coverage)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(docno INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text TEXT,
                                metadata TEXT, fp BLOB NOT NULL, tokens BLOB);
CREATE TABLE IF NOT EXISTS postings(hash INTEGER NOT NULL, docno INTEGER NOT NULL,
                                    PRIMARY KEY(hash, docno)) WITHOUT ROWID;
"""


_WORKER: tuple | None = None  # (fingerprinter, keep_text) inherited by forked workers


def _batched(docs: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare_batch(docs: list[dict], fingerprinter: Fingerprinter, keep_text: bool) -> list[tuple]:
    """Rows for one batch: (id, text, metadata, fp blob, token blob, sorted hashes); a repeated id
    keeps its last version."""
    prepared: dict[str, tuple] = {}
    for doc in docs:
        doc_id, text = doc.get("id"), doc.get("text")
        if doc_id is None or not isinstance(text, str):
            raise ValueError(f"a document needs an 'id' and a string 'text': {str(doc)[:80]}")
        hashes = sorted(fingerprinter.fingerprint(text).hashes)
        meta = {k: v for k, v in doc.items() if k not in ("id", "text")}
        prepared.pop(str(doc_id), None)
        prepared[str(doc_id)] = (str(doc_id), text if keep_text else None, json.dumps(meta, ensure_ascii=False),
                                 array.array("q", hashes).tobytes(),
                                 None if keep_text else _pack_tokens(TokenSeq.of(text)), hashes)
    return list(prepared.values())


def _prepare_in_worker(docs: list[dict]) -> list[tuple]:
    return _prepare_batch(docs, *_WORKER)


def _pack_tokens(seq: TokenSeq) -> bytes:
    """Token comparison hashes and offsets, for alignment without the text (keep_text=False)."""
    arr = array.array("q")
    for key, a, b, w in zip(seq.keys, seq.starts, seq.ends, seq.is_word):
        arr.extend((stable_hash(key), a, b, int(w)))
    return zlib.compress(arr.tobytes(), 6)


def _unpack_tokens(blob: bytes) -> TokenSeq:
    arr = array.array("q")
    arr.frombytes(zlib.decompress(blob))
    return TokenSeq(list(arr[0::4]), list(arr[1::4]), list(arr[2::4]), [bool(x) for x in arr[3::4]])


class Index:
    """A spin-robust archive index in one SQLite file.

    `Index(path)` opens the index, creating it if `create` (the default for the Python API);
    `Index(path, create=False)` refuses to create one (what `trace`, `stats` and `remove` use).
    """

    def __init__(self, path: str | os.PathLike, create: bool = True, keep_text: bool = True,
                 readonly: bool = False, fingerprinter: Fingerprinter | None = None,
                 max_df: int = 1000, max_query_hashes: int = 64, candidates: int = 30, verify: int = 8, verify_ratio: float = 0.3):
        self.path = os.fspath(path)
        self.max_query_hashes = max_query_hashes
        self.max_df, self.n_candidates, self.n_verify, self.verify_ratio = max_df, candidates, verify, verify_ratio
        exists = os.path.exists(self.path)
        if not exists and (not create or readonly):
            raise IndexError_(f"{self.path}: no such index (create one with `unspin index add {self.path} DOCS.jsonl`)")
        if exists and os.path.isdir(self.path):
            raise IndexError_(f"{self.path}: is a directory, not an index file")
        mode = "ro" if readonly else ("rwc" if create else "rw")
        try:
            self.db = sqlite3.connect(f"file:{_uri_path(self.path)}?mode={mode}", uri=True, timeout=30,
                                      isolation_level=None, check_same_thread=False)
            if exists and os.path.getsize(self.path) > 0:
                self._check_format()
            elif readonly:
                raise IndexError_(f"{self.path}: empty file, not an unspin index")
            else:
                self._init_schema(keep_text, fingerprinter or Fingerprinter())
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: consistent after a crash
            self.db.execute("PRAGMA cache_size=-1048576")  # up to 1 GB page cache
            self.db.execute("PRAGMA mmap_size=4294967296")  # read pages through mmap, not read()
        except sqlite3.DatabaseError as e:
            raise IndexError_(f"{self.path}: not a readable unspin index ({e})") from e
        self.settings = dict(self.db.execute("SELECT key, value FROM settings"))
        self.keep_text = self.settings.get("keep_text") == "1"
        self.fingerprinter = fingerprinter or Fingerprinter(n=int(self.settings.get("n", 3)))

    @property
    def warnings(self) -> list[str]:
        """What the caller should know before trusting results (loads the lexicon)."""
        built_with = self.settings.get("lexicon")
        if built_with and len(self) and built_with != self.fingerprinter.lexicon_signature():
            return [f"{self.path} was built with another lexicon ({built_with}); re-add the documents for the best recall"]
        return []

    # -- opening ---------------------------------------------------------------------------------
    def _check_format(self) -> None:
        try:
            row = self.db.execute("SELECT value FROM settings WHERE key='format'").fetchone()
        except sqlite3.OperationalError as e:  # a SQLite file of something else
            raise IndexError_(f"{self.path}: a SQLite database but not an unspin index") from e
        except sqlite3.DatabaseError as e:
            raise IndexError_(f"{self.path}: not an unspin index ({e})") from e
        if not row or row[0] != FORMAT:
            raise IndexError_(f"{self.path}: a SQLite database but not an unspin index")
        version = self.db.execute("SELECT value FROM settings WHERE key='schema_version'").fetchone()
        if not version or version[0] != SCHEMA_VERSION:
            raise IndexError_(f"{self.path}: index schema {version and version[0]} is not {SCHEMA_VERSION}; rebuild it")
        check = self.db.execute("PRAGMA quick_check(1)").fetchone()
        if check and check[0] != "ok":
            raise IndexError_(f"{self.path}: the index is corrupt ({check[0]}); rebuild it")

    def _init_schema(self, keep_text: bool, fingerprinter: Fingerprinter) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _SCHEMA.strip().split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            values = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "keep_text": "1" if keep_text else "0",
                      **{k: str(v) for k, v in fingerprinter.settings().items()}}
            self.db.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?)", values.items())
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def __contains__(self, doc_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM docs WHERE id=?", (str(doc_id),)).fetchone() is not None

    # -- writing ---------------------------------------------------------------------------------
    def add(self, docs: Iterable[dict], batch_size: int = 500, workers: int = 1) -> int:
        """Add `{"id", "text", ...}` documents (other keys kept as metadata); an existing id is
        replaced. Each batch is one transaction. `workers` > 1 fingerprints batches in that many
        forked processes while this one writes (SQLite has one writer). Returns the number added."""
        batches = _batched(docs, batch_size)
        n = 0
        if workers <= 1:
            for batch in batches:
                n += self._write_batch(_prepare_batch(batch, self.fingerprinter, self.keep_text))
            return n
        import multiprocessing

        global _WORKER
        self.fingerprinter.lexicon_signature()  # load the lexicon once, before forking
        _WORKER = (self.fingerprinter, self.keep_text)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for prepared in pool.imap(_prepare_in_worker, batches):
                n += self._write_batch(prepared)
        return n

    def _write_batch(self, prepared: list[tuple]) -> int:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._delete_ids([p[0] for p in prepared])
            # docnos assigned here: the write lock is held, and one executemany beats a row at a time
            first = (self.db.execute("SELECT max(docno) FROM docs").fetchone()[0] or 0) + 1
            self.db.executemany("INSERT INTO docs(docno, id, text, metadata, fp, tokens) VALUES (?, ?, ?, ?, ?, ?)",
                                [(first + i, *p[:5]) for i, p in enumerate(prepared)])
            postings = [(h, first + i) for i, p in enumerate(prepared) for h in p[5]]
            postings.sort(key=_first)  # clustered inserts into the (hash, docno) B-tree are much faster
            self.db.executemany("INSERT OR IGNORE INTO postings VALUES (?, ?)", postings)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(prepared)

    def _delete_ids(self, ids: list[str]) -> int:
        """Delete documents and their postings (inside the caller's transaction)."""
        gone = 0
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.db.execute(f"SELECT docno, fp FROM docs WHERE id IN ({','.join('?' * len(chunk))})",
                                   chunk).fetchall()
            for docno, blob in rows:
                hashes = array.array("q")
                hashes.frombytes(blob)
                self.db.executemany("DELETE FROM postings WHERE hash=? AND docno=?", ((h, docno) for h in hashes))
                self.db.execute("DELETE FROM docs WHERE docno=?", (docno,))
                gone += 1
        return gone

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many were found and removed."""
        ids = [str(i) for i in ids]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            gone = self._delete_ids(ids)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return gone

    # -- reading ---------------------------------------------------------------------------------
    def get(self, doc_id: str) -> dict | None:
        row = self.db.execute("SELECT id, text, metadata FROM docs WHERE id=?", (str(doc_id),)).fetchone()
        if row is None:
            return None
        return {"id": row[0], "text": row[1], **json.loads(row[2] or "{}")}

    def ids(self) -> Iterator[str]:
        for (doc_id,) in self.db.execute("SELECT id FROM docs ORDER BY docno"):
            yield doc_id

    def stats(self) -> dict[str, Any]:
        n_docs = len(self)
        n_post = self.db.execute("SELECT count(*) FROM postings").fetchone()[0]
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return {"path": self.path, "documents": n_docs, "postings": n_post, "size_bytes": size,
                "bytes_per_document": round(size / n_docs) if n_docs else None,
                "settings": {k: v for k, v in self.settings.items() if k != "format"}}

    def candidates(self, fp, n: int | None = None) -> list[tuple[int, float]]:
        """(docno, score) of the documents sharing the most (IDF-weighted) fingerprints.

        Postings are read for at most `max_query_hashes` of the query's fingerprints (half content
        anchors, half anchor n-grams, picked by hash value so the choice is stable), at most `max_df`
        per fingerprint; a fingerprint's document frequency comes from the same read. Reading them all,
        or counting them first to pick the rarest, costs several times more at 100k documents for the
        same recall (bench/results/trace.md)."""
        n_docs = max(1, self.db.execute("SELECT max(docno) FROM docs").fetchone()[0] or 1)
        half = self.max_query_hashes // 2
        content = sorted(fp.content)[:half]
        use = content + sorted(fp.grams - fp.content)[: self.max_query_hashes - len(content)]
        scores: dict[int, float] = defaultdict(float)
        q, cap = "SELECT docno FROM postings WHERE hash=? LIMIT ?", self.max_df
        for h in use:
            rows = self.db.execute(q, (h, cap + 1)).fetchall()
            if not rows or len(rows) > cap:
                continue  # absent, or so common that it says nothing
            w = math.log(1 + n_docs / len(rows))
            for (d,) in rows:
                scores[d] += w
        return heapq.nlargest(n or self.n_candidates, scores.items(), key=_second)

    def trace(self, text: str, k: int = 5, min_score: float = 0.0) -> list[Match]:
        """The best sources of `text`, verified by alignment, best first (at most `k`)."""
        if len(text) > MAX_QUERY_CHARS:
            raise QueryTooLarge(f"query of {len(text):,} characters is larger than {MAX_QUERY_CHARS:,}; split it")
        fp = self.fingerprinter.fingerprint(text)
        if not fp.anchors and not TOKEN_RE.search(text):
            return []
        cands = self.candidates(fp)
        if not cands:
            return []
        q = TokenSeq.of(text)
        q_hashed = None
        matches: list[Match] = []
        top = cands[0][1]
        # verify the candidates that come close to the best one (at least k of them when asked for k)
        todo = [c for i, c in enumerate(cands) if i < k or c[1] >= self.verify_ratio * top][: max(k, self.n_verify)]
        rows = {r[0]: r for r in self.db.execute(
            f"SELECT docno, id, text, metadata, tokens FROM docs WHERE docno IN ({','.join('?' * len(todo))})",
            [d for d, _ in todo])}
        for docno, cscore in todo:
            row = rows.get(docno)
            if row is None:
                continue
            _, doc_id, s_text, meta, tok_blob = row
            if s_text is not None:
                al = _windowed_align(q, TokenSeq.of(s_text), text, s_text)
            else:
                if q_hashed is None:
                    q_hashed = TokenSeq([stable_hash(x) for x in q.keys], q.starts, q.ends, q.is_word)
                al = _windowed_align(q_hashed, _unpack_tokens(tok_blob), text, None)
            if not al.passages:
                continue
            score = match_score(al)
            if score < min_score:
                continue
            matches.append(Match(doc_id, score, al.coverage, al.source_coverage, al.passages, al.substitutions,
                                 json.loads(meta or "{}"), s_text, cscore))
        matches.sort(key=lambda m: (-m.score, -m.candidate_score))
        return matches[:k]


def _windowed_align(q: TokenSeq, s: TokenSeq, q_text: str, s_text: str | None) -> Alignment:
    """Align a long query window by window (bounded seed tables), merging the passages."""
    if len(q) <= WINDOW_TOKENS:
        return align(q, s, q_text, s_text)
    parts, weights = [], []
    n_q = sum(q.is_word) or 1
    for i in range(0, len(q), WINDOW_TOKENS):
        w = q.window(i, i + WINDOW_TOKENS)
        parts.append(align(w, s, q_text, s_text))
        weights.append(sum(w.is_word) / n_q)
    return Alignment(sum(p.coverage * x for p, x in zip(parts, weights)),
                     min(1.0, sum(p.source_coverage for p in parts)),
                     sum(p.matched * x for p, x in zip(parts, weights)),
                     [p for a in parts for p in a.passages], [s for a in parts for s in a.substitutions])


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))
