"""CLI: `unspin index add|stats|remove` and `unspin trace`."""
from __future__ import annotations

import json
import sys

import click

from ..textio import InputError, iter_jsonl, read_text

EXIT_BAD_LINES = 3


def _open(path: str, **kwargs):
    from ..trace.index import Index, IndexError_

    try:
        return Index(path, **kwargs)
    except IndexError_ as e:
        raise click.ClickException(str(e)) from e


@click.group("index")
def index_group() -> None:
    """Build and inspect an archive index of source documents (for `unspin trace`)."""


@index_group.command("add")
@click.argument("index")
@click.argument("docs", nargs=-1, required=True)
@click.option("--no-text", is_flag=True, help="Keep only fingerprints, not the source texts (set when the index is created).")
@click.option("--batch-size", default=500, show_default=True, help="Documents per transaction.")
@click.option("--workers", default=1, show_default=True, help="Processes fingerprinting documents (the writer is one more).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def add(index, docs, no_text, batch_size, workers, quiet):
    """Add the {"id", "text", ...} lines of DOCS.jsonl ('-' = stdin) to INDEX, creating it if needed.

    Other keys are kept as metadata; re-adding an id replaces the document. Malformed lines are reported
    with their line numbers (exit code 3) and the rest is added."""
    idx = _open(index, create=True, keep_text=not no_text)
    if no_text and idx.keep_text and len(idx):
        click.echo(f"warning: {index} already keeps texts; --no-text applies only to a new index", err=True)
    bad = added = 0
    progress = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(unit=" docs", file=sys.stderr)

    def good_records():
        nonlocal bad
        for path in docs:
            try:
                for rec in iter_jsonl(path):
                    if rec.error is None and not isinstance(rec.record.get("id"), (str, int)):
                        rec.error = "missing 'id' (a string or a number)"
                    if rec.error:
                        bad += 1
                        click.echo(f"{path}:{rec.line}: {rec.error}", err=True)
                        continue
                    if progress is not None:
                        progress.update(1)
                    yield rec.record
            except OSError as e:
                raise click.ClickException(f"{path}: cannot read ({e.strerror})") from e

    try:
        added = idx.add(good_records(), batch_size=batch_size, workers=workers)
    finally:
        if progress is not None:
            progress.close()
        idx.close()
    if not quiet:
        click.echo(f"added {added} document(s) to {index}" + (f"; {bad} line(s) rejected" if bad else ""), err=True)
    sys.exit(EXIT_BAD_LINES if bad else 0)


@index_group.command("stats")
@click.argument("index")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stats(index, as_json):
    """Print INDEX's documents, size on disk and build settings."""
    idx = _open(index, create=False, readonly=True)
    s = idx.stats()
    idx.close()
    if as_json:
        click.echo(json.dumps(s))
        return
    click.echo(f"index      {s['path']}")
    click.echo(f"documents  {s['documents']:,}")
    click.echo(f"postings   {s['postings']:,}")
    per = f" ({s['bytes_per_document']:,} bytes/document)" if s["bytes_per_document"] else ""
    click.echo(f"size       {s['size_bytes'] / 1e6:,.1f} MB{per}")
    click.echo("settings   " + ", ".join(f"{k}={v}" for k, v in s["settings"].items()))


@index_group.command("remove")
@click.argument("index")
@click.argument("ids", nargs=-1, required=True)
def remove(index, ids):
    """Remove documents by id from INDEX (exit code 3 if some id was not there)."""
    idx = _open(index, create=False)
    missing = [i for i in ids if i not in idx]
    n = idx.remove(ids)
    idx.close()
    click.echo(f"removed {n} document(s)" + (f"; not in the index: {', '.join(missing)}" if missing else ""), err=True)
    sys.exit(EXIT_BAD_LINES if missing else 0)


@click.command()
@click.argument("index")
@click.argument("file", required=False, default="-")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@click.option("--jsonl", "jsonl", metavar="QUERIES.jsonl", help="Trace every {'id','text'} line ('-' = stdin); one JSON line each.")
@click.option("-k", "k", default=3, show_default=True, help="How many matches to report.")
@click.option("--min-score", default=0.0, show_default=True, help="Leave out matches scoring below this.")
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True)
def trace(index, file, as_json, jsonl, k, min_score, encoding_errors):
    """Find the archived sources that FILE (or stdin) was spun from, with the aligned passages.

    Each match: id, score, coverage (share of the query's words aligned to the source), passages and
    substitutions with character offsets into the query and the source."""
    from ..trace.index import QueryTooLarge

    idx = _open(index, create=False, readonly=True)
    for w in idx.warnings:
        click.echo(f"warning: {w}", err=True)
    if jsonl:
        sys.exit(_trace_jsonl(idx, jsonl, k, min_score))
    try:
        text = read_text(file, errors=encoding_errors)
    except InputError as e:
        raise click.ClickException(str(e)) from e
    try:
        matches = idx.trace(text, k=k, min_score=min_score)
    except QueryTooLarge as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps({"matches": [m.to_dict() for m in matches]}, ensure_ascii=False))
    else:
        from ..trace.display import print_matches

        print_matches(text, matches)


def _trace_jsonl(idx, path: str, k: int, min_score: float) -> int:
    from ..trace.index import QueryTooLarge

    bad = 0
    try:
        for rec in iter_jsonl(path):
            if rec.error:
                bad += 1
                click.echo(f"{path}:{rec.line}: {rec.error}", err=True)
                continue
            try:
                matches = idx.trace(rec.record["text"], k=k, min_score=min_score)
            except QueryTooLarge as e:
                bad += 1
                click.echo(f"{path}:{rec.line}: {e}", err=True)
                continue
            click.echo(json.dumps({"id": rec.record.get("id"), "matches": [m.to_dict() for m in matches]},
                                  ensure_ascii=False))
    except OSError as e:
        raise click.ClickException(f"{path}: cannot read ({e.strerror})") from e
    if bad:
        click.echo(f"{bad} line(s) rejected", err=True)
    return EXIT_BAD_LINES if bad else 0


COMMANDS = [index_group, trace]
