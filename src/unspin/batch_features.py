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
from .lm.trie import INVALID
from .propose import Proposal

_CACHE_MAX = 200_000  # phrases
_POOL_MAX = 1 << 20  # rows of cached phrases; both caches are reset beyond these
_ZIPF_CAND, _LEN_CAND = STATIC.index("zipf_cand"), STATIC.index("len_cand")
_LOGS = [0.0] + [math.log(n) for n in range(1, 101)]  # math.log(number of candidates), as features.py


@dataclass(slots=True)
class _Phrase:
    """Where the rows of one spun phrase (capitalised or not) sit in the featurizer's row pool: the
    spun words' row, then one per candidate."""
    candidates: tuple  # the lexicon's tuple (identity-checked: a different lexicon gives a different one)
    row: int
    n: int


class NgramFeaturizer:
    """What depends only on a spun phrase (its candidates' LM word ids, their interned words, the
    feature columns that need no document) is computed once per phrase into one pool of rows, so
    that a document's rows are gathered with one index array instead of being concatenated per
    proposal."""

    def __init__(self, scorer: NgramScorer):
        self.scorer = scorer
        self.intern: dict[str, int] = {}
        self._phrases: dict[tuple, _Phrase] = {}
        self._words_rows: dict[tuple, tuple] = {}  # (words, capital) -> (LM ids, interned words)
        self._used = 0
        self._alloc(1024, 8)

    def _alloc(self, cap: int, width: int) -> None:
        """(Re)allocate the pool for `cap` rows and LM rows of up to `width` words, keeping what it holds."""
        old = getattr(self, "_feat", None)
        feat, ids = np.zeros((cap, len(FEATURES))), np.full((cap, width), PAD, dtype=np.int64)
        lens, words, n_words = np.zeros(cap, np.int64), np.full((cap, MAX_WORDS), -1, np.int64), np.zeros(cap, np.int64)
        if old is not None:
            k = self._used
            feat[:k], lens[:k], words[:k], n_words[:k] = self._feat[:k], self._len[:k], self._words[:k], self._n_words[:k]
            ids[:k, : self._ids.shape[1]] = self._ids[:k]
        self._feat, self._ids, self._len, self._words, self._n_words = feat, ids, lens, words, n_words

    def doc_words(self, doc: Document) -> DocWords:
        if len(self.intern) > MAX_INTERNED or self._used > _POOL_MAX or len(self._phrases) > _CACHE_MAX:
            self.intern.clear()
            self._phrases.clear()
            self._words_rows.clear()
            self._used = 0
        return DocWords(doc, self.intern, self.scorer.lm.vocab)

    def features(self, dw: DocWords, proposals: list[Proposal], restored=None) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows of all candidates of `proposals`, and where each proposal's rows start (with a
        final end). `restored` as in `features.context`."""
        tokens = dw.tokens
        get = self._phrases.get
        first, n_rows, at_i, at_j = [], [], [], []
        for p in proposals:
            capital = tokens[p.i].text[:1].isupper()
            ph = get((p.spun, capital))
            if ph is None or ph.candidates is not p.candidates:
                ph = self._phrase(p, capital)
            first.append(ph.row)
            n_rows.append(ph.n)
            at_i.append(p.i)
            at_j.append(p.j)
        at_i, at_j = np.array(at_i, dtype=np.int64), np.array(at_j, dtype=np.int64)
        if restored:
            ctx = np.array([self.scorer.context_ids(*context(dw.doc, p, restored)) for p in proposals],
                           dtype=np.int64).reshape(len(proposals), 4)
        else:
            ctx = np.hstack([dw.left[at_i], dw.right[at_j]])
        n_rows = np.array(n_rows, dtype=np.int64)
        ends = np.cumsum(n_rows)
        begins = ends - n_rows
        pool = np.repeat(np.array(first, dtype=np.int64) - begins, n_rows) + np.arange(int(ends[-1]))  # every row's
        lens = self._len[pool]
        scores = self.scorer.score_rows(_rows(self._ids[:, : int(lens.max())][pool], lens, np.repeat(ctx, n_rows, axis=0)))
        is_spun = np.zeros(len(pool), dtype=bool)
        is_spun[begins] = True
        is_cand = ~is_spun
        n_cands = n_rows - 1
        starts = np.concatenate([[0], np.cumsum(n_cands)])
        rows = self._feat[pool[is_cand]]  # the columns that need no document filled
        _lm_columns(rows, scores[is_cand], scores[begins], n_cands, starts)
        _occurrence_columns(rows, dw, proposals, self._words[pool], self._n_words[pool], at_i, at_j, n_rows, begins, is_spun)
        return rows, starts

    def _phrase(self, p: Proposal, capital: bool) -> _Phrase:
        cands = p.candidates
        static = p.static if p.static is not None else static_features(cands)
        every = [self._word_row(p.spun, False)] + [self._word_row(c.words, capital) for c in cands]
        n, row = len(every), self._used
        width = max(len(ids) for ids, _ in every)
        if row + n > len(self._len) or width > self._ids.shape[1]:
            self._alloc(max(2 * len(self._len), row + n), max(width, self._ids.shape[1]))
        self._used = row + n
        end = row + n
        self._len[row:end] = [len(ids) for ids, _ in every]
        self._n_words[row:end] = [len(p.spun)] + [len(c.words) for c in cands]
        self._words[row:end] = [words for _, words in every]
        ids = self._ids[row:end]
        ids[:] = PAD
        for k, (x, _) in enumerate(every):
            ids[k, : len(x)] = x
        f = self._feat[row + 1 : end]
        f[:] = 0.0
        zs, n_spun, n_cands = mean_zipf(p.spun), len(p.spun), n - 1
        f[:, _STATIC_COLS] = static
        f[:, _COL["zipf_spun"]] = zs
        f[:, _COL["zipf_gain"]] = static[:, _ZIPF_CAND] - zs
        f[:, _COL["len_spun"]] = n_spun
        f[:, _COL["log_n_cands"]] = _LOGS[n_cands] if n_cands < len(_LOGS) else math.log(n_cands)
        f[:, _COL["len_delta"]] = static[:, _LEN_CAND] - n_spun
        hit = self._phrases[(p.spun, capital)] = _Phrase(cands, row, n)
        return hit

    def _word_row(self, words: tuple, capital: bool) -> tuple:
        """LM ids of `words` as shown (capitalised like the spun text: features.surface, then the LM's
        lower-casing), and the words interned (-1 padded to MAX_WORDS)."""
        key = (words, capital)
        hit = self._words_rows.get(key)
        if hit is None:
            shown = words
            if capital and shown:
                shown = (shown[0][:1].upper() + shown[0][1:],) + shown[1:]
            vocab, intern = self.scorer.lm.vocab, self.intern
            ids = [vocab.get(lm_word(w), INVALID) for w in shown]
            interned = [intern.setdefault(w, len(intern)) for w in words[:MAX_WORDS]]
            hit = self._words_rows[key] = (ids, interned + [-1] * (MAX_WORDS - len(interned)))
        return hit


def _rows(ids: np.ndarray, lens: np.ndarray, ctx: np.ndarray) -> np.ndarray:
    """One row per candidate (and spun phrase): [h2, h1, words..., r1, r2], PAD-padded; `ids` holds
    each row's word ids, PAD-padded."""
    n = len(lens)
    rows = np.full((n, 4 + ids.shape[1]), PAD, dtype=np.int64)
    rows[:, 0], rows[:, 1] = ctx[:, 0], ctx[:, 1]
    rows[:, 2:-2] = ids
    every = np.arange(n)
    rows[every, 2 + lens] = ctx[:, 2]
    rows[every, 3 + lens] = ctx[:, 3]
    return rows


def _lm_columns(rows, cand_lp, spun_lp, n_cands, starts):
    """The LM columns, each proposal's candidates side by side in a (proposals x most candidates)
    table: np.maximum.reduceat, a sort per proposal and ranks by counting are a few calls per document
    where per-proposal numpy calls cost a few microseconds each."""
    n, width = len(n_cands), int(n_cands.max())
    pid = np.repeat(np.arange(n), n_cands)
    col = np.arange(len(cand_lp)) - np.repeat(starts[:-1], n_cands)
    table = np.full((n, width), -np.inf)
    table[pid, col] = cand_lp
    ranked = np.sort(table, axis=1)  # ascending, the padding first
    best = ranked[:, -1]
    second = np.where(n_cands > 1, ranked[:, -2], spun_lp) if width > 1 else spun_lp
    # rank: how many of its proposal's candidates score higher (np.argsort's order when none tie)
    rank = (table[:, None, :] > table[:, :, None]).sum(axis=2)[pid, col].astype(float)
    tied = ((ranked[:, 1:] == ranked[:, :-1]) & (ranked[:, 1:] > -np.inf)).any(axis=1)
    for k in np.flatnonzero(tied).tolist():
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


def _occurrence_columns(rows, dw: DocWords, proposals, words, lens, at_i, at_j, n_rows, first, is_spun):
    """How often each candidate occurs elsewhere in the document (anywhere, and quoted), and how often
    its spun phrase is quoted. `words`, `lens`: the interned words of every row (spun phrase, then
    candidates) and their number."""
    owner = np.repeat(np.arange(len(proposals)), n_rows)
    n_any, n_prot, todo = dw.counts(words, lens, at_i[owner], at_j[owner])
    for r in np.flatnonzero(todo).tolist():
        k = int(owner[r])
        p = proposals[k]
        phrase = p.spun if r == first[k] else p.candidates[r - first[k] - 1].words
        n_any[r], n_prot[r] = dw.occurrences(phrase, range(p.i, p.j))
    is_cand = ~is_spun
    rows[:, _COL["cand_in_doc"]] = np.log1p(n_any[is_cand])
    rows[:, _COL["cand_in_protected"]] = np.log1p(n_prot[is_cand])
    spun_prot = [math.log1p(x) for x in n_prot[first].tolist()]
    rows[:, _COL["spun_in_protected"]] = np.repeat(spun_prot, n_rows - 1)
