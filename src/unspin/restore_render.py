"""Turn candidate tokens into text that fits where the spun words stood."""
from __future__ import annotations


def render(words: tuple[str, ...], spun_text: str) -> str:
    text = " ".join(words)
    if "’" in spun_text:  # keep the document's apostrophe style
        text = text.replace("'", "’")
    if spun_text.isupper() and len(spun_text) > 1:
        text = text.upper()
    return text
