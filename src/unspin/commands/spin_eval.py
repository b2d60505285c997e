"""CLI: `unspin spin` (synthetic spun text and pairs) and `unspin eval` (the EVALUATION.md figures)."""
from __future__ import annotations

import json
import sys

import click

from ..textio import InputError, iter_jsonl, read_text
from .core import EXIT_BAD_LINES, model_option


def _progress(iterable, desc: str):
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, unit="doc", file=sys.stderr, disable=None)  # silent when not a terminal


def _pair(doc_id, result, rate: float, seed: int) -> dict:
    return {"id": doc_id, "spun_text": result.spun_text, "orig_text": result.orig_text, "kind": "synthetic",
            "spinner": {"rate": rate, "seed": seed, "substitutions": len(result.substitutions)}}


@click.command()
@click.argument("file", required=False, default="-")
@click.option("--rate", type=click.FloatRange(0.0, 1.0), default=0.3, show_default=True,
              help="Share of the eligible words (free words with a synonym) to replace.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed + text + rate = same output.")
@click.option("--jsonl", "jsonl", metavar="IN.jsonl", help="Spin every {'id','text'} line of IN.jsonl ('-' = stdin); "
              "prints the lines with 'text' spun and every other key kept.")
@click.option("--pairs", "pairs_out", metavar="OUT.jsonl", type=click.Path(dir_okay=False, writable=True),
              help="Write {'id','spun_text','orig_text','kind':'synthetic'} pairs to OUT.jsonl (input of `unspin eval`) "
              "instead of printing.")
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True)
def spin(file, rate, seed, jsonl, pairs_out, encoding_errors):
    """Spin FILE (or stdin) with the reference thesaurus spinner: synthetic test and benchmark data.

    Words and short phrases are swapped for synonyms, inflection and capitals kept; quotations, names,
    numbers and URLs are left alone. Exit 3 when some JSONL lines were malformed (the rest is spun)."""
    from ..spinner import Spinner

    spinner = Spinner(seed=seed)
    out = open(pairs_out, "w", encoding="utf-8") if pairs_out else None
    try:
        if jsonl:
            sys.exit(_spin_jsonl(spinner, jsonl, rate, seed, out))
        try:
            text = read_text(file, errors=encoding_errors)
        except InputError as e:
            raise click.ClickException(str(e)) from e
        result = spinner.spin(text, rate=rate)
        if out:
            out.write(json.dumps(_pair("stdin" if file == "-" else file, result, rate, seed), ensure_ascii=False) + "\n")
        else:
            click.echo(result.spun_text, nl=not result.spun_text.endswith("\n"))
    finally:
        if out:
            out.close()


def _spin_jsonl(spinner, path: str, rate: float, seed: int, out) -> int:
    bad = n = 0
    try:
        for rec in _progress(iter_jsonl(path), "spinning"):
            if rec.error:
                bad += 1
                click.echo(f"{path}:{rec.line}: {rec.error}", err=True)
                continue
            result = spinner.spin(rec.record["text"], rate=rate)
            n += 1
            if out:
                out.write(json.dumps(_pair(rec.record.get("id", f"line{rec.line}"), result, rate, seed), ensure_ascii=False) + "\n")
            else:
                click.echo(json.dumps({**rec.record, "text": result.spun_text}, ensure_ascii=False))
    except OSError as e:
        raise click.ClickException(f"{path}: cannot read ({e.strerror})") from e
    if out:
        click.echo(f"{n} pair(s) written to {out.name}", err=True)
    if bad:
        click.echo(f"{bad} line(s) rejected", err=True)
    return EXIT_BAD_LINES if bad else 0


# -- eval ----------------------------------------------------------------------------------------

ROWS = [
    ("Detection", None),
    ("ROC AUC", ("detection", "auc")),
    ("precision", ("detection", "precision")),
    ("recall", ("detection", "recall")),
    ("F1", ("detection", "f1")),
    ("false-positive rate", ("detection", "fpr")),
    ("positives / negatives", None),
    ("Span flagging (tokens)", None),
    ("precision", ("spans", "precision")),
    ("recall", ("spans", "recall")),
    ("F1", ("spans", "f1")),
    ("gold tokens", ("spans", "gold_tokens")),
    ("Restoration", None),
    ("restored exact", ("restoration", "restored_exact")),
    ("damage rate", ("restoration", "damage_rate")),
    ("error reduction", ("restoration", "error_reduction")),
    ("clean words changed", ("restoration", "clean_words_changed")),
    ("substitutions", ("restoration", "substitutions")),
    ("Calibration", None),
    ("Brier score", ("calibration", "brier")),
]


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:,}" if isinstance(v, int) else f"{v:.3f}"


def print_tables(result: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    cols = result["columns"]
    title = f"unspin eval: model {result.get('model', '?')}" + (f", {result['cv']}-fold cross-validation" if result.get("cv") else "")
    table = Table(title=title)
    table.add_column("metric")
    for name, c in cols.items():
        table.add_column(f"{name}\n({c['n_pairs']} pairs)", justify="right")
    for label, key in ROWS:
        if key is None and label == "positives / negatives":
            table.add_row(f"  {label}", *(f"{c['detection']['n_pos']} / {c['detection']['n_neg']}" for c in cols.values()))
        elif key is None:
            table.add_row(f"[bold]{label}[/bold]", *([""] * len(cols)))
        else:
            table.add_row(f"  {label}", *(_fmt(c[key[0]][key[1]]) for c in cols.values()))
    console.print(table)
    reliability = Table(title="Reliability per score bin: documents, mean score, share spun")
    reliability.add_column("score bin", no_wrap=True)
    for name in cols:
        reliability.add_column(name, justify="right", no_wrap=True)
    n_bins = max((len(c["calibration"]["bins"]) for c in cols.values()), default=0)
    for b in range(n_bins):
        cells = []
        for c in cols.values():
            bins = c["calibration"]["bins"]
            row = bins[b] if b < len(bins) else None
            cells.append("" if not row or not row["n"] else f"{row['n']}  {row['mean_score']:.2f}  {row['positive_rate']:.2f}")
        lo = b / n_bins
        reliability.add_row(f"{lo:.1f}–{lo + 1 / n_bins:.1f}", *cells)
    console.print(reliability)


@click.command("eval")
@click.argument("pairs", metavar="PAIRS.jsonl")
@click.option("--clean", "clean", metavar="DOCS.jsonl", help="Clean {'id','text'} documents: more negatives.")
@model_option
@click.option("--cv", type=click.IntRange(min=0), default=0, show_default=True,
              help="K-fold cross-validation: every report from models trained without that document (0 = shipped models).")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as one JSON object.")
def eval_(pairs, clean, model, cv, as_json):
    """Detection, span flagging, restoration and calibration figures (EVALUATION.md) on PAIRS.jsonl,
    per kind, for all real kinds together, and for synthetic pairs on their own.
    Exit 3 when some lines were malformed (the rest is evaluated)."""
    from ..evaluate import run_eval

    if cv == 1:
        raise click.BadParameter("use 0 (shipped models) or at least 2 folds", param_hint="--cv")
    try:
        result = run_eval(pairs, clean, model=model, cv=cv, progress=True)
    except OSError as e:
        raise click.ClickException(f"cannot read ({e.strerror}): {e.filename}") from e
    for err in result["errors"]:
        click.echo(f"{err['file']}:{err['line']}: {err['error']}", err=True)
    if not result["columns"]:
        raise click.ClickException("no valid pairs or documents to evaluate")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        print_tables(result)
    if result["errors"]:
        click.echo(f"{len(result['errors'])} line(s) rejected", err=True)
        sys.exit(EXIT_BAD_LINES)


COMMANDS = [spin, eval_]
