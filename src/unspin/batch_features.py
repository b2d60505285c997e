"""The n-gram stage for a whole document at once: every candidate of every proposal as one row of
word ids, scored in one LM batch, and its features (`features.FEATURES`) computed column by column.

Computes exactly what `features.candidate_features(p, ngram.score(*lm_queries(doc, [p])[0]), vocab)`
computes for each proposal (tests/test_batch_features.py compares the two); what depends only on a
spun phrase (its candidates' word ids, the lexicon features) is prepared once per phrase and cached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .document import Document
from .docwords import MAX_INTERNED, MAX_WORDS, DocWords
from .features import (
    _COL,
    _STATIC_COLS,
    FEATURES,
    STATIC,
    context,
    mean_zipf,
    static_features,
)
from .lm.ngram import PAD, NgramScorer, lm_word
from .propose import Proposal

_CACHE_MAX = 200_000
_ZIPF_CAND, _LEN_CAND = STATIC.index("zipf_cand"), STATIC.index("len_cand")
_LOGS = [0.0] + [math.log(n) for n in range(1, 101)]  # math.log(number of candidates), as features.py


@dataclass(slots=True)
class _Phrase:
    """What every proposal of one spun phrase shares."""
    candidates: tuple  # the lexicon's tuple (identity-checked: a different lexicon gives a different one)
    ids: np.ndarray  # LM ids of the spun words, then of each candidate's words, concatenated
    lens: np.ndarray  # words per row: the spun row, then one per candidate
    static: np.ndarray  # the candidates' lexicon features (features.STATIC)
    zipf_spun: float
    words: np.ndarray  # interned words of the spun phrase, then of each candidate (-1 padded to MAX_WORDS)
    n_words: np.ndarray  # words of the spun phrase, then of each candidate


class NgramFeaturizer:
    def __init__(self, scorer: NgramScorer):
        self.scorer = scorer
        self.intern: dict[str, int] = {}
        self._phrases: dict[tuple, _Phrase] = {}

    def doc_words(self, doc: Document) -> DocWords:
        if len(self.intern) > MAX_INTERNED:
            self.intern.clear()
            self._phrases.clear()
        return DocWords(doc, self.intern, self.scorer.lm.vocab)

    def features(self, dw: DocWords, proposals: list[Proposal], restored=None) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows of all candidates of `proposals`, and where each proposal's rows start (with a
        final end). `restored` as in `features.context`."""
        tokens = dw.tokens
        phrases, ctx = [], np.empty((len(proposals), 4), dtype=np.int64)
        for k, p in enumerate(proposals):
            phrases.append(self._phrase(p, tokens[p.i].text[:1].isupper()))
            if restored:
                ctx[k] = self.scorer.context_ids(*context(dw.doc, p, restored))
        if not restored:
            ctx[:, :2] = dw.left[[p.i for p in proposals]]
            ctx[:, 2:] = dw.right[[p.j for p in proposals]]
        n_rows = np.fromiter((len(ph.lens) for ph in phrases), dtype=np.int64, count=len(phrases))
        lens = np.concatenate([ph.lens for ph in phrases])
        ids = np.concatenate([ph.ids for ph in phrases])
        scores = self.scorer.score_rows(_rows(ids, lens, np.repeat(ctx, n_rows, axis=0)))
        is_spun = np.zeros(len(lens), dtype=bool)
        is_spun[np.cumsum(n_rows) - n_rows] = True
        n_cands = n_rows - 1
        starts = np.concatenate([[0], np.cumsum(n_cands)])
        rows = _static_columns(phrases, proposals, n_cands)
        _lm_columns(rows, scores[~is_spun], scores[is_spun], n_cands, starts)
        _occurrence_columns(rows, dw, proposals, phrases, n_rows, is_spun)
        return rows, starts

    def _phrase(self, p: Proposal, capital: bool) -> _Phrase:
        key = (p.spun, capital)
        hit = self._phrases.get(key)
        if hit is not None and hit.candidates is p.candidates:
            return hit
        cands = p.candidates
        static = p.static if p.static is not None else static_features(cands)
        words, lens = [lm_word(w) for w in p.spun], [len(p.spun)]
        for c in cands:
            shown = c.words
            if capital and shown:  # features.surface, then the LM's lower-casing
                shown = (shown[0][:1].upper() + shown[0][1:],) + shown[1:]
            words += [lm_word(w) for w in shown]
            lens.append(len(shown))
        intern, table = self.intern.setdefault, self.intern
        every = [p.spun] + [c.words for c in cands]
        pad = [-1] * MAX_WORDS
        interned = [([intern(w, len(table)) for w in phrase[:MAX_WORDS]] + pad)[:MAX_WORDS] for phrase in every]
        hit = _Phrase(cands, self.scorer.ids(words), np.array(lens, dtype=np.int64), static, mean_zipf(p.spun),
                      np.array(interned, dtype=np.int64), np.array([len(x) for x in every]))
        if len(self._phrases) < _CACHE_MAX:
            self._phrases[key] = hit
        return hit


def _rows(ids: np.ndarray, lens: np.ndarray, ctx: np.ndarray) -> np.ndarray:
    """One row per candidate (and spun phrase): [h2, h1, words..., r1, r2], PAD-padded."""
    n = len(lens)
    rows = np.full((n, 4 + int(lens.max())), PAD, dtype=np.int64)
    rows[:, 0], rows[:, 1] = ctx[:, 0], ctx[:, 1]
    row_of = np.repeat(np.arange(n), lens)
    rows[row_of, 2 + np.arange(len(ids)) - np.repeat(np.cumsum(lens) - lens, lens)] = ids
    every = np.arange(n)
    rows[every, 2 + lens] = ctx[:, 2]
    rows[every, 3 + lens] = ctx[:, 3]
    return rows


def _static_columns(phrases, proposals, n_cands) -> np.ndarray:
    """Feature rows with the columns that need no document filled: the lexicon's, the spun phrase's."""
    static = np.concatenate([ph.static for ph in phrases])
    rows = np.zeros((len(static), len(FEATURES)))
    rows[:, _STATIC_COLS] = static
    zs = np.repeat([ph.zipf_spun for ph in phrases], n_cands)
    len_spun = np.repeat([len(p.spun) for p in proposals], n_cands)
    rows[:, _COL["zipf_spun"]] = zs
    rows[:, _COL["zipf_gain"]] = static[:, _ZIPF_CAND] - zs
    rows[:, _COL["len_spun"]] = len_spun
    rows[:, _COL["log_n_cands"]] = np.repeat([_LOGS[n] if n < len(_LOGS) else math.log(n) for n in n_cands.tolist()], n_cands)
    rows[:, _COL["len_delta"]] = static[:, _LEN_CAND] - len_spun
    return rows


def _lm_columns(rows, cand_lp, spun_lp, n_cands, starts):
    pid = np.repeat(np.arange(len(n_cands)), n_cands)
    best = np.maximum.reduceat(cand_lp, starts[:-1])
    order = np.lexsort((-cand_lp, pid))  # per proposal, best first; ties in index order
    ranked = cand_lp[order]
    second = np.where(n_cands > 1, ranked[np.minimum(starts[:-1] + 1, len(ranked) - 1)], spun_lp)
    rank = np.empty(len(cand_lp))
    rank[order] = np.arange(len(cand_lp)) - np.repeat(starts[:-1], n_cands)
    tied = (ranked[1:] == ranked[:-1]) & (pid[order][1:] == pid[order][:-1])
    for k in np.unique(pid[order][1:][tied]).tolist():
        # the per-proposal definition ranks ties as np.argsort orders them (not stably)
        a, b = starts[k], starts[k + 1]
        r = np.empty(b - a)
        r[np.argsort(-cand_lp[a:b])] = np.arange(b - a)
        rank[a:b] = r
    is_best = cand_lp == best[pid]
    rows[:, _COL["lm_delta"]] = cand_lp - spun_lp[pid]
    rows[:, _COL["lm_best"]] = is_best
    rows[:, _COL["lm_margin"]] = np.where(is_best, cand_lp - second[pid], cand_lp - best[pid])
    rows[:, _COL["lm_rank"]] = np.log1p(rank)


def _occurrence_columns(rows, dw: DocWords, proposals, phrases, n_rows, is_spun):
    """How often each candidate occurs elsewhere in the document (anywhere, and quoted), and how often
    its spun phrase is quoted."""
    words = np.concatenate([ph.words for ph in phrases])
    lens = np.concatenate([ph.n_words for ph in phrases])
    owner = np.repeat(np.arange(len(proposals)), n_rows)
    i = np.fromiter((p.i for p in proposals), dtype=np.int64, count=len(proposals))[owner]
    j = np.fromiter((p.j for p in proposals), dtype=np.int64, count=len(proposals))[owner]
    n_any, n_prot, todo = dw.counts(words, lens, i, j)
    first = np.cumsum(n_rows) - n_rows
    for r in np.flatnonzero(todo).tolist():
        k = int(owner[r])
        p = proposals[k]
        words = p.spun if r == first[k] else p.candidates[r - first[k] - 1].words
        n_any[r], n_prot[r] = dw.occurrences(words, range(p.i, p.j))
    rows[:, _COL["cand_in_doc"]] = np.log1p(n_any[~is_spun])
    rows[:, _COL["cand_in_protected"]] = np.log1p(n_prot[~is_spun])
    spun_prot = [math.log1p(x) for x in n_prot[is_spun].tolist()]
    rows[:, _COL["spun_in_protected"]] = np.repeat(spun_prot, n_rows - 1)
