"""Word frequencies (wordfreq, Zipf scale) used across the toolkit."""
from __future__ import annotations

import functools

KNOWN: dict[str, float] = {}  # values wordfreq gave for these words before (lexicon.warm's store)
_computed: dict[str, float] = {}


@functools.lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    hit = KNOWN.get(word)
    if hit is not None:
        return hit
    from wordfreq import zipf_frequency

    hit = zipf_frequency(word, "en")
    if len(_computed) < 200_000:
        _computed[word] = hit
    return hit


def computed() -> dict[str, float]:
    """The values this process asked wordfreq for (to store)."""
    return _computed


def is_common_lowercase(word: str) -> bool:
    """True when `word` is an ordinary English word, so a capital on it may just start a sentence."""
    return zipf(word) >= 3.0
