"""The user cache dir, and removing what older versions of a cache left there.

Each cache file is keyed by what it was built from (a fingerprint of the data file's content, library
versions); an upgrade makes a new key, and the old file (up to ~100 MB for the trigram
tables) would stay forever. When a process has just written a cache under a new key, the siblings with
the same prefix are removed. Another unspin version still using one only loses speed: it rebuilds its
own (files already loaded or memory-mapped stay readable until closed)."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

_SAMPLE = 1 << 16


def cache_dir() -> Path:
    base = os.environ.get("UNSPIN_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "unspin")
    return Path(base)


def fingerprint(path: str | os.PathLike) -> str:
    """Size and a hash of the first and last 64 KiB: the same for every install or checkout of the same
    data (an mtime differs between them, and they would remove each other's caches), different for a
    rebuilt file, in ~0.1 ms (hashing all of the LM's 27 MB would add ~80 ms to every start)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        h = hashlib.blake2b(f.read(_SAMPLE), digest_size=6)
        if size > _SAMPLE:
            f.seek(max(_SAMPLE, size - _SAMPLE))
            h.update(f.read(_SAMPLE))
    return f"{size}-{h.hexdigest()}"


def remove_stale(current: Path, prefix: str) -> list[str]:
    """Remove the entries of `current`'s folder whose names start with `prefix`, other than `current`
    and its companions (names starting with current's stem). Returns the names removed."""
    removed = []
    keep = current.name.split(".")[0]
    try:
        entries = list(current.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix) or name.split(".")[0] == keep:
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(name)
        except OSError:
            pass  # another process's file in use elsewhere, or a read-only dir: harmless
    return sorted(removed)
