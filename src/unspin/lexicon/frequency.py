"""Word frequencies (wordfreq, Zipf scale) used across the toolkit."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def is_common_lowercase(word: str) -> bool:
    """True when `word` is an ordinary English word, so a capital on it may just start a sentence."""
    return zipf(word) >= 3.0
