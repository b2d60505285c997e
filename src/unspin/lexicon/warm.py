"""A per-machine store of the lexicon's per-phrase results, so a fresh process starts warm.

Building a phrase's candidates (reverse-thesaurus lookups, lemminflect re-inflection, ranking) and
their static features costs ~0.4 ms of one-time work per distinct phrase; a document has hundreds,
so a fresh process spends its first hundreds of documents warming caches (and `scan --workers N`
pays that N times). The store keeps, per lower-cased spun phrase, its candidate tuple (empty for a
phrase with none), the static features of its candidates, and the Zipf frequency of the words seen, in
one marshal file in the user's cache dir (`cachefiles.cache_dir`).

It is filled two ways: by runs (each process adds the phrases it had to compute, at exit) and by
`python -m unspin.lexicon.warm` (seeds it with the most frequent English words and the multi-word
thesaurus keys made of them). Its file name is a hash of everything the results depend on: the
source of the lexicon and feature code, the data files (size and mtime), the lemminflect and wordfreq versions,
Python's version; a change to any of them starts a new store. A missing,
unreadable or read-only cache dir only costs speed. `UNSPIN_LEXICON_STORE=0` turns it off, `=ro` reads
it without adding to it (benchmarks).

Entries are exact: the candidates are the same tuples in the same order, the features the same bits
(tests/test_lexicon_store.py compares the stored path with the computed one).
"""
from __future__ import annotations

import atexit
import hashlib
import marshal
import os
import sys
from pathlib import Path

import numpy as np

from ..cachefiles import fingerprint
from .reverse import Candidate

FORMAT = 3
MAX_PHRASES = 400_000  # the store stops growing here; a new key starts from empty
_SOURCES = ("lexicon/__init__.py", "lexicon/reverse.py", "lexicon/inflect.py", "lexicon/grammar.py",
            "lexicon/frequency.py", "lexicon/warm.py", "features.py")
_DATA = ("reverse_thesaurus.tsv.gz", "phrase_table.json")


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def store_key(max_candidates: int) -> str:
    """A hash of everything the stored results depend on."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha1(f"{FORMAT}|{max_candidates}|{sys.version_info[:2]}|{sys.byteorder}|"
                     f"{_version('lemminflect')}|{_version('wordfreq')}".encode())
    for rel in _SOURCES:
        h.update(rel.encode())
        h.update((root / rel).read_bytes())
    for name in _DATA:
        try:
            h.update(f"{name}|{fingerprint(root / 'lexicon' / 'data' / name)}".encode())
        except OSError:
            h.update(f"{name}|missing".encode())
    return h.hexdigest()[:16]


def encode_line(c: Candidate) -> str:
    return f"{' '.join(c.words)}\t{c.sources}\t{c.n_syn}\t{c.count}"


def decode_line(line: str) -> Candidate:
    w, s, n, k = line.split("\t")
    return Candidate(tuple(w.split(" ")), int(s), int(n), int(k))


class Store:
    """The file holds every distinct candidate once, as a line "words\tsources\tn_syn\tcount" (`lines`)
    with its row of static features (`rows`, float64 bytes), and per phrase the indices of its
    candidates in order (uint32 bytes; empty: no candidates), plus word -> zipf. Loaded whole on first
    use (a marshal load); candidates are decoded per phrase on first access, each distinct one once. What this process adds is written back by `flush` (at exit),
    merged under a lock with what other processes wrote meanwhile."""

    def __init__(self, path: Path | None, write: bool = True, stale_prefix: str | None = None):
        self.path = path
        self.write = write
        self.stale_prefix = stale_prefix  # creating the file removes its siblings with this prefix (older keys)
        self.lines: list[str] = []
        self.phrases: dict[str, bytes] = {}
        self.zipf: dict[str, float] = {}
        self.new: dict[str, tuple[Candidate, ...]] = {}
        self.loaded = False
        self.rows = np.zeros((0, 0))
        self._cands: list = []  # index -> Candidate, or None until first needed

    def load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        data = self._read()
        if data is not None and data[0]:
            lines, rows, phrases, zipf = data
            try:
                self.rows = np.frombuffer(rows, dtype=np.float64).reshape(len(lines), -1)
            except ValueError:  # a damaged file: start empty
                return
            self.lines, self.phrases, self.zipf = lines, phrases, zipf
            self._cands = [None] * len(self.lines)
            from . import frequency

            frequency.KNOWN.update(self.zipf)

    def _read(self):
        if self.path is None:
            return None
        try:
            with open(self.path, "rb") as f:
                data = marshal.load(f)
            if data.get("format") == FORMAT:
                return data["lines"], data["rows"], data["phrases"], data["zipf"]
        except (OSError, ValueError, EOFError, TypeError, KeyError, AttributeError):
            pass
        return None

    def get(self, phrase: str):
        """(candidates, their static features (features.static_features)) from the store, or None."""
        hit = self.phrases.get(phrase)
        if hit is None:
            return None
        if not hit:
            return (), None
        cands, out = self._cands, []
        index = np.frombuffer(hit, dtype=np.uint32)
        for i in index.tolist():
            c = cands[i]
            if c is None:
                c = cands[i] = decode_line(self.lines[i])
            out.append(c)
        return tuple(out), self.rows[index]

    def add(self, phrase: str, candidates: tuple[Candidate, ...]) -> None:
        if len(self.new) + len(self.phrases) < MAX_PHRASES:
            self.new[phrase] = candidates

    def flush(self) -> int:
        """Merge what this process computed into the file; returns how many phrases it added."""
        if self.path is None or not self.write or not self.new:
            self.new = {}
            return 0
        from ..features import static_row
        from . import frequency

        new, self.new = self.new, {}
        try:
            import fcntl

            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                lines, rows, phrases, zipf = self._read() or ([], b"", {}, {})
                index = {line: i for i, line in enumerate(lines)}
                new_rows = []
                added = 0
                for phrase, cands in new.items():
                    if phrase in phrases or len(phrases) >= MAX_PHRASES:
                        continue
                    ids = []
                    for c in cands:
                        line = encode_line(c)
                        i = index.get(line)
                        if i is None:
                            i = index[line] = len(lines)
                            lines.append(line)
                            new_rows.append(static_row(c))
                        ids.append(i)
                    phrases[phrase] = np.array(ids, dtype=np.uint32).tobytes()
                    added += 1
                if new_rows:  # as features.static_features converts them
                    rows += np.array(new_rows, dtype=float).tobytes()
                for w, v in frequency.computed().items():
                    zipf.setdefault(w, v)
                tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as f:
                    marshal.dump({"format": FORMAT, "lines": lines, "rows": rows, "phrases": phrases, "zipf": zipf}, f)
                created = not self.path.exists()
                os.replace(tmp, self.path)
            if created and self.stale_prefix:
                from ..cachefiles import remove_stale

                remove_stale(self.path, self.stale_prefix)
            return added
        except OSError:
            return 0  # a read-only cache dir only costs speed


_STORES: dict[tuple, Store] = {}


def default_store(max_candidates: int) -> Store | None:
    """The store of the default lexicon (None when turned off)."""
    mode = os.environ.get("UNSPIN_LEXICON_STORE", "1")
    if mode in ("0", "", "off", "false"):
        return None
    hit = _STORES.get((max_candidates, mode))
    if hit is None:
        from ..cachefiles import cache_dir

        try:
            path = cache_dir() / f"lexicon-v{FORMAT}-{store_key(max_candidates)}.marshal"
        except OSError:
            path = None
        hit = _STORES[(max_candidates, mode)] = Store(path, write=mode != "ro", stale_prefix="lexicon-v")
        atexit.register(hit.flush)
    return hit


def flush_all() -> int:
    """Write back every store's new phrases now (for processes that leave without running atexit)."""
    return sum(s.flush() for s in _STORES.values())


def seed(n_words: int = 50_000, lexicon=None) -> tuple[int, float]:
    """Fill the default lexicon's store with the `n_words` most frequent English words and the multi-word
    reverse-thesaurus keys made of them; returns (phrases in the store, seconds)."""
    import time

    from wordfreq import top_n_list

    from ..tokenize import normalize
    from . import Lexicon

    t0 = time.perf_counter()
    lex = lexicon or Lexicon.default()
    words = list(dict.fromkeys(normalize(w) for w in top_n_list("en", n_words)))
    known = set(words)
    phrases = words + [k for k in lex.thesaurus.table if " " in k and all(w in known for w in k.split(" "))]
    phrases += [k for k in list(lex.phrase_table) + list(lex.grammar) if k.count(" ") < 4]
    for p in dict.fromkeys(phrases):
        lex.candidates(p)
    flush_all()
    data = lex._store._read() if lex._store is not None else None
    return (len(data[2]) if data else 0), time.perf_counter() - t0


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Seed the lexicon store with frequent English words.")
    ap.add_argument("--words", type=int, default=50_000)
    args = ap.parse_args()
    from unspin.lexicon import warm  # not this __main__ module: the lexicon registered its store there

    n, s = warm.seed(args.words)
    print(f"lexicon store: {n} phrases, built in {s:.1f} s")
