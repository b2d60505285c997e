"""The human view of `unspin trace`: each match with its aligned passages side by side (Rich)."""
from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .index import DEFAULT_THRESHOLD, Match

MAX_PASSAGES = 4  # per match, in the human view (the JSON has them all)


def _highlight(text: str, start: int, end: int, spans: list[tuple[int, int]], style: str) -> Text:
    out, pos = Text(), start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        out.append(text[pos:a])
        out.append(text[a:b], style=style)
        pos = b
    out.append(text[pos:end])
    return out


def render_match(rank: int, query: str, m: Match) -> Group:
    head = Text()
    head.append(f"{rank}. {m.id}", style="bold")
    strong = m.score >= DEFAULT_THRESHOLD
    head.append(f"  score {m.score:.2f}", style="bold red" if strong else "yellow")
    head.append(f"  coverage {m.coverage:.0%} of the query, {m.source_coverage:.0%} of the source", style="dim")
    head.append(f"  {len(m.substitutions)} substitution(s)", style="dim")
    if not strong:
        head.append("  (weak: below the source threshold)", style="yellow")
    meta = {k: v for k, v in m.metadata.items() if isinstance(v, (str, int, float))}
    if meta:
        head.append("\n   " + "  ".join(f"{k}: {v}" for k, v in list(meta.items())[:4]), style="dim")
    parts = [head]
    q_subs = [(s.query_start, s.query_end) for s in m.substitutions]
    s_subs = [(s.source_start, s.source_end) for s in m.substitutions]
    for p in m.passages[:MAX_PASSAGES]:
        table = Table(show_header=True, header_style="bold", expand=True, padding=(0, 1))
        table.add_column(f"query [{p.query_start}:{p.query_end}]", ratio=1)
        table.add_column(f"source [{p.source_start}:{p.source_end}]", ratio=1)
        left = _highlight(query, p.query_start, p.query_end, q_subs, "bold white on red")
        if m.source_text is not None:
            right = _highlight(m.source_text, p.source_start, p.source_end, s_subs, "bold black on green")
        else:
            right = Text("(the index keeps fingerprints only)", style="dim")
        table.add_row(left, right)
        parts.append(table)
    if len(m.passages) > MAX_PASSAGES:
        parts.append(Text(f"   … {len(m.passages) - MAX_PASSAGES} more passage(s); --json shows all", style="dim"))
    return Group(*parts)


def print_matches(query: str, matches: list[Match], console: Console | None = None) -> None:
    console = console or Console()
    if not matches:
        console.print("no source found in the index", style="yellow")
        return
    for rank, m in enumerate(matches, 1):
        console.print(render_match(rank, query, m), highlight=False)
        console.print()
