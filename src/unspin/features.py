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
    "len_cand", "log_n_cands", "len_delta", "cand_in_doc", "cand_in_protected", "spun_in_protected",
]


class DocVocabulary:
    """Which word sequences occur in the document, and which inside its protected regions (quotations
    keep the author's words while the narrative around them is spun)."""

    def __init__(self, doc: Document):
        from .tokenize import normalize

        self.words = [normalize(t.text) for t in doc.tokens]
        self.prot = [t.protected is not None for t in doc.tokens]
        self.first: dict[str, list[int]] = {}
        for k, w in enumerate(self.words):
            self.first.setdefault(w, []).append(k)

    def occurrences(self, phrase: tuple[str, ...], skip: range) -> tuple[int, int]:
        """(anywhere else, inside protected regions) counts of `phrase`."""
        n_any = n_prot = 0
        for k in self.first.get(phrase[0], ()):
            if k in skip or tuple(self.words[k : k + len(phrase)]) != phrase:
                continue
            n_any += 1
            n_prot += self.prot[k]
        return n_any, n_prot


def surface(words: tuple[str, ...], like: str) -> tuple[str, ...]:
    """Give a candidate the capitalisation of the spun text it replaces."""
    if like[:1].isupper() and words:
        return (words[0][:1].upper() + words[0][1:],) + words[1:]
    return words


def context(doc: Document, p: Proposal, restored: dict[int, tuple[int, tuple[str, ...]]] | None = None):
    """Left and right context tokens; `restored` maps a span's first token to (its end, original words)
    so that a second pass reads neighbours in their restored wording."""
    if not restored:
        left = [t.text for t in doc.tokens[max(0, p.i - LEFT_WINDOW) : p.i]]
        right = [t.text for t in doc.tokens[p.j : p.j + RIGHT_WINDOW]]
        return left, right
    ends = {end: (start, words) for start, (end, words) in restored.items()}
    left: list[str] = []
    k = p.i
    while k > 0 and len(left) < LEFT_WINDOW:
        if k in ends:
            start, words = ends[k]
            left[:0] = list(words)
            k = start
        else:
            k -= 1
            left.insert(0, doc.tokens[k].text)
    right: list[str] = []
    k = p.j
    while k < len(doc.tokens) and len(right) < RIGHT_WINDOW:
        if k in restored:
            end, words = restored[k]
            right.extend(words)
            k = end
        else:
            right.append(doc.tokens[k].text)
            k += 1
    return left, right


def mean_zipf(words) -> float:
    return sum(map(zipf, words)) / max(len(words), 1)


STATIC = ["log_n_syn", "mythes", "wordnet", "moby", "grammar", "learned", "n_thesauri", "log_learned_count",
          "zipf_cand", "len_cand"]
_STATIC_COLS = [FEATURES.index(f) for f in STATIC]
_COL = {f: i for i, f in enumerate(FEATURES)}


def static_features(candidates) -> np.ndarray:
    """The features of candidates that depend on the lexicon alone (computed once per spun phrase)."""
    return np.array([static_row(c) for c in candidates], dtype=float).reshape(len(candidates), len(STATIC))


def static_row(c) -> tuple:
    """One candidate's row of `static_features` (lexicon.warm keeps these per stored candidate)."""
    th = c.sources & (MYTHES | WORDNET | MOBY)
    return (math.log1p(c.n_syn), bool(c.sources & MYTHES), bool(c.sources & WORDNET), bool(c.sources & MOBY),
            bool(c.sources & GRAMMAR), bool(c.sources & LEARNED), bin(th).count("1"), math.log1p(c.count),
            mean_zipf(c.words), len(c.words))


def candidate_features(p: Proposal, lm: list[float], vocab: DocVocabulary) -> np.ndarray:
    """`lm[0]` scores the spun words, `lm[1:]` the candidates in order."""
    here = range(p.i, p.j)
    _, spun_prot = vocab.occurrences(p.spun, here)
    spun_lp, cand_lp = lm[0], np.asarray(lm[1:], dtype=float)
    n = len(p.candidates)
    order = np.argsort(-cand_lp)
    rank = np.empty(n)
    rank[order] = np.arange(n)
    best = cand_lp.max()
    second = cand_lp[order[1]] if n > 1 else spun_lp
    is_best = cand_lp == best
    static = p.static if p.static is not None else static_features(p.candidates)
    rows = np.zeros((n, len(FEATURES)))
    rows[:, _STATIC_COLS] = static
    zs = mean_zipf(p.spun)
    rows[:, _COL["lm_delta"]] = cand_lp - spun_lp
    rows[:, _COL["lm_best"]] = is_best
    rows[:, _COL["lm_margin"]] = np.where(is_best, cand_lp - second, cand_lp - best)
    rows[:, _COL["lm_rank"]] = np.log1p(rank)
    rows[:, _COL["zipf_spun"]] = zs
    rows[:, _COL["zipf_gain"]] = static[:, STATIC.index("zipf_cand")] - zs
    rows[:, _COL["len_spun"]] = len(p.spun)
    rows[:, _COL["log_n_cands"]] = math.log(n)
    rows[:, _COL["len_delta"]] = static[:, STATIC.index("len_cand")] - len(p.spun)
    occ = np.array([vocab.occurrences(c.words, here) for c in p.candidates], dtype=float)
    rows[:, _COL["cand_in_doc"]] = np.log1p(occ[:, 0])
    rows[:, _COL["cand_in_protected"]] = np.log1p(occ[:, 1])
    rows[:, _COL["spun_in_protected"]] = math.log1p(spun_prot)
    return rows


def lm_queries(doc: Document, proposals: list[Proposal], restored=None):
    queries = []
    for p in proposals:
        left, right = context(doc, p, restored)
        spun_surface = tuple(t.text for t in doc.tokens[p.i : p.j])
        cands = [spun_surface] + [surface(c.words, spun_surface[0]) for c in p.candidates]
        queries.append((left, cands, right))
    return queries


NEURAL_FEATURES = ["nn_delta", "nn_best", "nn_margin", "nn_scored"]


def neural_features(lm: list[float]) -> np.ndarray:
    spun_lp, cand = lm[0], np.asarray(lm[1:], dtype=float)
    best = cand.max()
    second = np.sort(cand)[-2] if len(cand) > 1 else spun_lp
    return np.stack([cand - spun_lp, (cand == best).astype(float),
                     np.where(cand == best, cand - second, cand - best), np.ones(len(cand))], axis=1)


def unscored_features(n: int) -> np.ndarray:
    """The neural columns of a proposal the cascade did not send to the LM (`nn_scored` = 0)."""
    return np.zeros((n, len(NEURAL_FEATURES)))
