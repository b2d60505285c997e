"""A readable report for a person: score, verdict, and the text with spun words highlighted (Rich)."""
from __future__ import annotations

from rich.console import Console
from rich.text import Text

from .report import Report


def confidence_style(conf: float) -> str:
    return "bold white on red" if conf >= 0.8 else "black on yellow" if conf >= 0.6 else "black on bright_cyan"


def render_report(report: Report) -> Text:
    verdict = "SPUN" if report.spun else "not spun"
    out = Text()
    out.append(f"score {report.score:.2f}  ", style="bold")
    out.append(verdict, style="bold red" if report.spun else "bold green")
    out.append(f"  ({len(report.spans)} span{'s' if len(report.spans) != 1 else ''} flagged)\n", style="dim")
    for w in report.warnings:
        out.append(f"warning: {w}\n", style="yellow")
    out.append("\n")
    pos = 0
    for s in report.spans:
        out.append(report.text[pos : s.start])
        out.append(s.text, style=confidence_style(s.confidence))
        if s.evidence.get("flag_only"):  # flagged as spun, not restored
            guess = s.evidence.get("guess")
            out.append(f" [spun? {guess}?]" if guess else " [spun?]", style="dim")
        else:
            out.append(f" [{s.original}]", style="green")
        pos = s.end
    out.append(report.text[pos:])
    return out


def print_report(report: Report, console: Console | None = None) -> None:
    (console or Console()).print(render_report(report), highlight=False, soft_wrap=True)
