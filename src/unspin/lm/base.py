"""The scorer interface: how likely is each candidate wording at a position, given its context."""
from __future__ import annotations

from typing import Protocol, Sequence


class Scorer(Protocol):
    name: str

    def score(self, left: Sequence[str], candidates: Sequence[Sequence[str]], right: Sequence[str]) -> list[float]:
        """Log-probability (natural log) of `left + candidate + right` for each candidate, up to a constant
        shared by all candidates of the call. Tokens are the toolkit's tokens, lower-cased."""
        ...

    def score_batch(self, queries: Sequence[tuple[Sequence[str], Sequence[Sequence[str]], Sequence[str]]]) -> list[list[float]]:
        ...


def load_scorer(model: str = "ngram") -> "Scorer":
    """`ngram`, `smollm2`, or `hf:NAME_OR_PATH` (any Hugging Face causal LM available locally)."""
    if model in ("ngram", "fast"):
        from .ngram import NgramScorer

        return NgramScorer.default()
    if model in ("smollm2", "neural"):
        from .causal import CausalScorer

        return CausalScorer.smollm2()
    if model.startswith("hf:"):
        from .causal import CausalScorer

        return CausalScorer.from_pretrained(model[3:])
    raise ValueError(f"unknown model {model!r}: use 'ngram', 'smollm2' or 'hf:NAME_OR_PATH'")
