"""Features of a (proposal, candidate) pair for the span model: LM evidence and the channel prior."""
from __future__ import annotations

import math

import numpy as np

from .document import Document
from .lexicon import GRAMMAR
from .lexicon.frequency import zipf
from .lexicon.reverse import LEARNED, MOBY, MYTHES, WORDNET
from .propose import Proposal

LEFT_WINDOW = 12
RIGHT_WINDOW = 4
FEATURES = [
    "lm_delta", "lm_best", "lm_margin", "lm_rank", "log_n_syn", "mythes", "wordnet", "moby", "grammar",
    "learned", "n_thesauri", "log_learned_count", "zipf_spun", "zipf_cand", "zipf_gain", "len_spun",
    "len_cand", "log_n_cands", "len_delta",
]


def surface(words: tuple[str, ...], like: str) -> tuple[str, ...]:
    """Give a candidate the capitalisation of the spun text it replaces."""
    if like[:1].isupper() and words:
        return (words[0][:1].upper() + words[0][1:],) + words[1:]
    return words


def context(doc: Document, p: Proposal) -> tuple[list[str], list[str]]:
    left = [t.text for t in doc.tokens[max(0, p.i - LEFT_WINDOW) : p.i]]
    right = [t.text for t in doc.tokens[p.j : p.j + RIGHT_WINDOW]]
    return left, right


def mean_zipf(words) -> float:
    return sum(zipf(w) for w in words) / max(len(words), 1)


def candidate_features(p: Proposal, lm: list[float]) -> np.ndarray:
    """`lm[0]` scores the spun words, `lm[1:]` the candidates in order."""
    spun_lp, cand_lp = lm[0], np.asarray(lm[1:], dtype=float)
    n = len(p.candidates)
    order = np.argsort(-cand_lp)
    rank = np.empty(n)
    rank[order] = np.arange(n)
    best = cand_lp.max()
    second = np.sort(cand_lp)[-2] if n > 1 else spun_lp
    zs = mean_zipf(p.spun)
    rows = np.zeros((n, len(FEATURES)))
    for k, c in enumerate(p.candidates):
        zc = mean_zipf(c.words)
        th = c.sources & (MYTHES | WORDNET | MOBY)
        rows[k] = (
            cand_lp[k] - spun_lp,
            float(cand_lp[k] == best),
            cand_lp[k] - (second if cand_lp[k] == best else best),
            math.log1p(rank[k]),
            math.log1p(c.n_syn),
            bool(c.sources & MYTHES), bool(c.sources & WORDNET), bool(c.sources & MOBY),
            bool(c.sources & GRAMMAR), bool(c.sources & LEARNED),
            bin(th).count("1"),
            math.log1p(c.count),
            zs, zc, zc - zs,
            len(p.spun), len(c.words),
            math.log(n),
            len(c.words) - len(p.spun),
        )
    return rows


def lm_queries(doc: Document, proposals: list[Proposal]):
    queries = []
    for p in proposals:
        left, right = context(doc, p)
        spun_surface = tuple(t.text for t in doc.tokens[p.i : p.j])
        cands = [spun_surface] + [surface(c.words, spun_surface[0]) for c in p.candidates]
        queries.append((left, cands, right))
    return queries


NEURAL_FEATURES = ["nn_delta", "nn_best", "nn_margin"]


def neural_features(lm: list[float]) -> np.ndarray:
    spun_lp, cand = lm[0], np.asarray(lm[1:], dtype=float)
    best = cand.max()
    second = np.sort(cand)[-2] if len(cand) > 1 else spun_lp
    return np.stack([cand - spun_lp, (cand == best).astype(float),
                     np.where(cand == best, cand - second, cand - best)], axis=1)
