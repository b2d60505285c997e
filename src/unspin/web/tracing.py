"""The archive index behind POST /api/trace, opened read-only, lazily, once per worker thread.

SQLite connections are safest used by the thread that opened them, so each worker thread keeps its own
`Index`. `unspin.trace` is imported only when an index is configured.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from .errors import ApiError


class IndexUnavailable(RuntimeError):
    pass


def _open_index(path: Path):
    try:
        from ..trace.index import Index
    except ImportError as e:
        raise IndexUnavailable(f"tracing is not available in this install ({e})") from e
    try:
        return Index(path, create=False, readonly=True)
    except Exception as e:  # IndexError_: missing, not an index, corrupt
        raise IndexUnavailable(str(e)) from e


def match_dict(m: Any) -> dict[str, Any]:
    """A match as JSON; when the source text is at hand, each passage also gets its source excerpt so
    the page can show the aligned passages side by side."""
    d = m.to_dict() if hasattr(m, "to_dict") else dict(m)
    source = getattr(m, "source_text", None)
    if isinstance(source, str):
        d["passages"] = [{**p, "source_text": source[p["source_start"]:p["source_end"]]} for p in d.get("passages", [])]
    return d


class TraceIndex:
    def __init__(self, index: Any):
        """`index`: the path of an index made by `unspin index add`, or any object with `.trace(text, k=)`."""
        self._local = threading.local()
        if isinstance(index, (str, os.PathLike)):
            self.path: Path | None = Path(index)
            if not self.path.is_file():
                raise IndexUnavailable(f"index {self.path} does not exist (build it with `unspin index add`)")
            self._open = lambda: _open_index(self.path)
            self._local.index = self._open()  # fail at startup, not on the first request
        else:
            self.path = None
            self._open = lambda: index

    def _index(self):
        idx = getattr(self._local, "index", None)
        if idx is None:
            idx = self._local.index = self._open()
        return idx

    def trace(self, text: str, k: int) -> list[dict[str, Any]]:
        try:
            matches = self._index().trace(text, k=k)
        except ValueError as e:  # QueryTooLarge
            raise ApiError(413, str(e), "text too long") from e
        return [match_dict(m) for m in matches]
