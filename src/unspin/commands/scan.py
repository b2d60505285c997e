"""CLI: scan a corpus (files, globs, folders of JSON Lines or Parquet) into a scored copy."""
from __future__ import annotations

import json
import os
import sys

import click

MODEL_HELP = "Scorer: 'ngram' (fast), 'smollm2' (neural, SmolLM2-135M) or 'hf:NAME_OR_PATH'."


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True,
              help="OUT.parquet, OUT.jsonl[.gz|.zst], or a folder (no suffix) for one shard per input file.")
@click.option("--text-field", default="text", show_default=True, help="Column holding the document text.")
@click.option("--id-field", default="id", show_default=True, help="Column holding the document id.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes or Ray actors [default: all cores; with --address, all cluster CPUs].")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", default=None, help="Ray cluster address (e.g. ray://head:10001 or auto); default: start a local Ray.")
@click.option("--model", default="default", show_default=True, help=MODEL_HELP)
@click.option("--spans", is_flag=True, help="Add the flagged spans as a JSON column `spans`.")
@click.option("--restore", is_flag=True, help="Add the restored text as a column `restored`.")
@click.option("--index", "index_path", default=None, metavar="INDEX.db",
              help="Trace each document against this index (unspin index add).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Documents per batch [default: 4 local, 16 Ray]; memory grows with batch size x workers, "
                   "not with input size.")
@click.option("--format", "shard_format", type=click.Choice(["parquet", "jsonl", "jsonl.gz", "jsonl.zst"]), default=None,
              help="Format of the shards when OUTPUT is a folder [default: parquet].")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr [default: on a terminal].")
@click.option("--json", "as_json", is_flag=True, help="Print the closing summary as JSON on stdout.")
def scan(inputs, output, text_field, id_field, workers, engine, address, model, spans, restore, index_path,
         batch_size, shard_format, progress, as_json):
    """Check every document of INPUT... (files, globs or folders of .jsonl, .jsonl.gz, .jsonl.zst, .parquet).

    Each output row keeps every input column and adds score, spun and n_spans. Rows that cannot be read
    or checked go to OUTPUT.errors.jsonl. Rerunning with the same OUTPUT skips completed shards.
    Exit status: 0 all written, 3 some rows rejected, 2 usage error.
    """
    from ..corpus.io import UsageError
    from ..corpus.scan import scan as run_scan

    if index_path and not os.path.exists(index_path):
        raise click.UsageError(f"--index {index_path}: no such file")
    try:
        summary = run_scan(list(inputs), output, text_field=text_field, id_field=id_field, workers=workers,
                           engine=engine, address=address, model=model, spans=spans, restore=restore,
                           batch_size=batch_size, shard_format=None if shard_format is None else "." + shard_format,
                           index=index_path, progress=progress)
    except UsageError as e:
        raise click.UsageError(str(e)) from e
    except OSError as e:  # disk full, permission denied: exit 1 with the reason, completed shards kept
        raise click.ClickException(f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")) from e
    click.echo(summary.describe(), err=True)
    if as_json:
        click.echo(json.dumps(summary.to_dict()))
    sys.exit(summary.exit_code)


COMMANDS = [scan]
