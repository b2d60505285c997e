"""CLI: check and restore."""
from __future__ import annotations

import json
import sys

import click

from ..textio import InputError, iter_jsonl, read_text

MODEL_HELP = "Scorer: 'ngram' (fast), 'smollm2' (neural, SmolLM2-135M) or 'hf:NAME_OR_PATH'. Default: ngram."
EXIT_BAD_LINES = 3


def model_option(f):
    return click.option("--model", default="default", show_default=True, help=MODEL_HELP)(f)


def _checker(model: str, entities: str, index: str | None = None):
    from ..checker import get_checker

    try:
        return get_checker(model, entities, index)
    except (RuntimeError, FileNotFoundError, ValueError) as e:
        raise click.ClickException(str(e)) from e
    except Exception as e:  # an unreadable index, e.g.
        if type(e).__name__ == "IndexError_":
            raise click.ClickException(str(e)) from e
        raise


def index_option(f):
    return click.option("--index", "index", default=None, metavar="INDEX",
                        help="An archive index (unspin index add): restore by alignment when the text traces to a source.")(f)


def _read(path: str, encoding_errors: str) -> str:
    try:
        return read_text(path, errors=encoding_errors)
    except InputError as e:
        raise click.ClickException(str(e)) from e


@click.command()
@click.argument("file", required=False, default="-")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (EVALUATION.md contract).")
@click.option("--jsonl", "jsonl", metavar="IN.jsonl", help="Check every {'id','text'} line of IN.jsonl ('-' = stdin).")
@model_option
@click.option("--entities", type=click.Choice(["fast", "spacy"]), default="fast", show_default=True,
              help="How names are protected: capitalisation rule or spaCy NER.")
@click.option("--threshold", type=float, default=None, help="Span confidence needed to restore (default: calibrated).")
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True)
@index_option
def check(file, as_json, jsonl, model, entities, threshold, encoding_errors, index):
    """Score FILE (or stdin) for spinning, flag the spun words and propose originals."""
    checker = _checker(model, entities, index)
    if jsonl:
        sys.exit(_check_jsonl(checker, jsonl, threshold))
    report = checker.check(_read(file, encoding_errors), threshold=threshold)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        from ..display import print_report

        print_report(report)


def _check_jsonl(checker, path: str, threshold) -> int:
    bad = 0
    try:
        records = iter_jsonl(path)
        for rec in records:
            if rec.error:
                bad += 1
                click.echo(f"{path}:{rec.line}: {rec.error}", err=True)
                continue
            doc_id = rec.record.get("id")
            try:
                report = checker.check(rec.record["text"], id=None if doc_id is None else str(doc_id), threshold=threshold)
            except ValueError as e:
                bad += 1
                click.echo(f"{path}:{rec.line}: {e}", err=True)
                continue
            d = report.to_dict()
            if doc_id is not None:
                d["id"] = doc_id
            click.echo(json.dumps(d, ensure_ascii=False))
    except OSError as e:
        raise click.ClickException(f"{path}: cannot read ({e.strerror})") from e
    if bad:
        click.echo(f"{bad} line(s) rejected", err=True)
    return EXIT_BAD_LINES if bad else 0


@click.command()
@click.argument("file", required=False, default="-")
@model_option
@click.option("--entities", type=click.Choice(["fast", "spacy"]), default="fast", show_default=True)
@click.option("--threshold", type=float, default=None)
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True)
@index_option
def restore(file, model, entities, threshold, encoding_errors, index):
    """Print the most likely original wording of FILE (or stdin)."""
    report = _checker(model, entities, index).check(_read(file, encoding_errors), threshold=threshold)
    click.echo(report.restored, nl=not report.restored.endswith("\n"))


COMMANDS = [check, restore]
