"""CLI: serve, the web page and JSON API."""
from __future__ import annotations

import ipaddress

import click

from .core import model_option


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--index", "index", type=click.Path(dir_okay=False), default=None,
              help="Archive index (from `unspin index add`) to enable tracing on the page and POST /api/trace.")
@model_option
@click.option("--max-body", default=1_000_000, show_default=True, type=click.IntRange(1), help="Largest request body, bytes.")
@click.option("--max-chars", default=100_000, show_default=True, type=click.IntRange(1), help="Longest text, characters.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds per request.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Span confidence needed to flag and restore (default: calibrated); a request may override it.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Threads running checks (the model is loaded once and shared).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host, port, index, model, max_body, max_chars, timeout, threshold, workers, log_level):
    """Serve the page (/) and the JSON API (/api/check, /api/restore, /api/trace, /api/health; docs at /docs)."""
    try:
        import uvicorn

        from ..web import create_app
        from ..web.tracing import IndexUnavailable
    except ImportError as e:
        raise click.ClickException(f"the web extra is not installed ({e}): pip install 'unspin[web]'") from e
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}, reachable from other machines; the API has no authentication",
                   err=True)
    click.echo(f"loading model {model!r}…", err=True)
    try:
        app = create_app(model=model, index=index, max_body=max_body, max_chars=max_chars, timeout=timeout,
                         threshold=threshold, workers=workers)
    except IndexUnavailable as e:
        raise click.ClickException(str(e)) from e
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"unspin serving on http://{shown}:{port}/  (API docs: http://{shown}:{port}/docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


COMMANDS = [serve]
