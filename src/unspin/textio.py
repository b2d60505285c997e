"""Reading the caller's input safely: UTF-8 text files, stdin and JSON Lines with per-line errors."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Iterator

MAX_FILE_BYTES = 20_000_000


class InputError(Exception):
    """Bad input: the message names the file and says what to do."""


def read_text(path: str, errors: str = "strict", max_bytes: int = MAX_FILE_BYTES) -> str:
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
    except OSError as e:
        raise InputError(f"{name}: cannot read ({e.strerror})") from e
    if len(data) > max_bytes:
        raise InputError(f"{name}: larger than {max_bytes:,} bytes; split it or use --jsonl to stream documents")
    if b"\x00" in data[:65536]:
        raise InputError(f"{name}: looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig", errors=errors)
    except UnicodeDecodeError as e:
        raise InputError(f"{name}: not valid UTF-8 at byte {e.start}; use --encoding-errors replace to decode anyway") from e


@dataclass(slots=True)
class JsonlRecord:
    line: int
    record: dict | None
    error: str | None = None


def check_record(obj, text_field: str = "text") -> str | None:
    """Why a parsed JSON line is not a document, or None."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    if not isinstance(obj.get(text_field), str):
        return f"missing or non-string {text_field!r} field"
    return None


def parse_jsonl_line(raw: bytes, text_field: str = "text") -> tuple[dict | None, str | None]:
    """(document, None) for a good JSON Lines line, (None, the reason) for a bad one."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return None, f"not valid UTF-8 at byte {e.start}"
    except json.JSONDecodeError as e:
        return None, f"invalid JSON: {e.msg} at column {e.colno}"
    err = check_record(obj, text_field)
    return (None, err) if err else (obj, None)


def iter_jsonl(path: str, text_field: str = "text") -> Iterator[JsonlRecord]:
    """Yield every line's object, or its error with the line number; never stops at a bad line."""
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        for n, raw in enumerate(stream, 1):
            if raw.strip():
                obj, err = parse_jsonl_line(raw, text_field)
                yield JsonlRecord(n, obj, err)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
