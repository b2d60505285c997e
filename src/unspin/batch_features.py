"""The n-gram stage for a whole document at once: every candidate of every proposal as one row of
word ids, scored in one LM batch, and its features (`features.FEATURES`) computed column by column.

Computes exactly what `features.candidate_features(p, ngram.score(*lm_queries(doc, [p])[0]), vocab)`
computes for each proposal (tests/test_batch_features.py compares the two); what depends only on a
spun phrase (its candidates' word ids, the lexicon features) is prepared once per phrase and cached.
"""
from __future__ import annotations

import functools
import math
import struct
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
_IDS = 2 + MAX_WORDS  # where a pool record's LM ids start


@dataclass(slots=True)
class _Phrase:
    """Where the rows of one spun phrase (capitalised or not) sit in the featurizer's row pool: the
    spun words' row, then one per candidate."""
    candidates: tuple  # the lexicon's tuple (identity-checked: a different lexicon gives a different one)
    row: int
    n: int


class NgramFeaturizer:
    """What depends only on a spun phrase (its candidates' LM word ids, their interned words, the
    feature columns that need no document) is computed once per phrase into a pool of rows, so that
    a document's rows are gathered with one index array instead of being concatenated per proposal.
    A pool row is an int64 record in `_int` (its number of LM ids, of words, the words interned, the
    LM ids: `_record`) and a row of `_feat` (zero for the spun phrase's own row)."""

    def __init__(self, scorer: NgramScorer):
        self.scorer = scorer
        self.intern: dict[str, int] = {}
        self._phrases: dict[tuple, _Phrase] = {}
        # words -> their int64 record (bytes: no GC tracking), as shown lower-case and capitalised
        self._records: tuple[dict[tuple, bytes], dict[tuple, bytes]] = ({}, {})
        self._tokens: dict[str, tuple] = {}  # a token's text -> what DocWords reads from it
        self._used = 0
        self._width = 4  # LM ids per record
        self._int = np.zeros((0, _IDS + self._width), dtype=np.int64)
        self._feat = np.zeros((0, len(FEATURES)))

    def _grow(self, cap: int, width: int) -> None:
        """Room for `cap` rows of LM ids up to `width` words, keeping what the pool holds."""
        # np.zeros: pages are only touched when written
        ints, feat = np.zeros((cap, _IDS + width), dtype=np.int64), np.zeros((cap, len(FEATURES)))
        k = len(self._int)
        ints[:k, : self._int.shape[1]], feat[:k] = self._int, self._feat
        ints[:k, self._int.shape[1] :] = PAD
        if width != self._width:
            self._clear_records()  # records have the width of the pool
        self._int, self._feat, self._width = ints, feat, width

    def _clear_records(self) -> None:
        for records in self._records:
            records.clear()

    def doc_words(self, doc: Document) -> DocWords:
        if len(self.intern) > MAX_INTERNED or self._used > _POOL_MAX or len(self._phrases) > _CACHE_MAX \
                or len(self._tokens) > MAX_INTERNED:
            self.intern.clear()
            self._phrases.clear()
            self._clear_records()
            self._tokens.clear()
            self._used = 0
        return DocWords(doc, self.intern, self.scorer.lm.vocab, self._tokens)

    def features(self, dw: DocWords, proposals: list[Proposal], restored=None) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows of all candidates of `proposals`, and where each proposal's rows start (with a
        final end). `restored` as in `features.context`."""
        tokens = dw.tokens
        at_i = [p.i for p in proposals]
        capitals = [tokens[i].text[:1].isupper() for i in at_i]
        phrases = list(map(self._phrases.get, [(p.spun, capital) for p, capital in zip(proposals, capitals)]))
        new = []
        for k, (ph, p) in enumerate(zip(phrases, proposals)):
            if ph is None or ph.candidates is not p.candidates:
                key = (p.spun, capitals[k])
                ph = self._phrases.get(key)  # met earlier in this document?
                if ph is None or ph.candidates is not p.candidates:
                    ph = self._phrases[key] = _Phrase(p.candidates, self._used, 1 + len(p.candidates))
                    self._used += ph.n
                    new.append((p, capitals[k]))
                phrases[k] = ph
        if new:
            self._fill(new, self._used - sum(1 + len(p.candidates) for p, _ in new))
        first, n_rows = [ph.row for ph in phrases], [ph.n for ph in phrases]
        at_i, at_j = np.array(at_i, dtype=np.int64), np.array([p.j for p in proposals], dtype=np.int64)
        if restored:
            ctx = np.array([self.scorer.context_ids(*context(dw.doc, p, restored)) for p in proposals],
                           dtype=np.int64).reshape(len(proposals), 4)
        else:
            ctx = np.hstack([dw.left[at_i], dw.right[at_j]])
        n_rows = np.array(n_rows, dtype=np.int64)
        ends = np.cumsum(n_rows)
        begins = ends - n_rows
        pool = np.repeat(np.array(first, dtype=np.int64) - begins, n_rows) + np.arange(int(ends[-1]))  # every row's
        ints = self._int[pool]
        lens = ints[:, 0]
        scores = self.scorer.score_rows(_rows(ints[:, _IDS : _IDS + int(lens.max())], lens, np.repeat(ctx, n_rows, axis=0)))
        is_spun = np.zeros(len(pool), dtype=bool)
        is_spun[begins] = True
        is_cand = ~is_spun
        n_cands = n_rows - 1
        starts = np.concatenate([[0], np.cumsum(n_cands)])
        rows = self._feat[pool[is_cand]]  # the columns that need no document filled
        _lm_columns(rows, scores[is_cand], scores[begins], n_cands, starts)
        _occurrence_columns(rows, dw, proposals, ints[:, 2:_IDS], ints[:, 1], at_i, at_j, n_rows, begins, is_spun)
        return rows, starts

    def _fill(self, new: list[tuple[Proposal, bool]], row: int) -> None:
        """Write the pool rows of the phrases first met in a document (reserved from `row` on, in
        order), all of them with a few array calls."""
        end = row + sum(1 + len(p.candidates) for p, _ in new)
        if end > len(self._int):
            self._grow(max(end, 2 * len(self._int), 1 << 18), self._width)  # untouched pages cost nothing
        while True:
            width, record, lower = self._width, self._record, self._records[0].get
            every = []
            for p, capital in new:
                every.append(lower(p.spun) or record(p.spun, False))
                known = self._records[capital].get
                every += [known(c.words) or record(c.words, capital) for c in p.candidates]
            if width == self._width:  # else a record needed a wider pool: records are made again
                break
        self._int[row:end] = np.frombuffer(b"".join(every), dtype=np.int64).reshape(end - row, -1)
        static = np.concatenate([p.static if p.static is not None else static_features(p.candidates) for p, _ in new])
        n_cands = [len(p.candidates) for p, _ in new]
        n_spun = np.repeat([len(p.spun) for p, _ in new], n_cands)
        zs = np.repeat([mean_zipf(p.spun) for p, _ in new], n_cands)
        f = np.zeros((len(static), len(FEATURES)))
        f[:, _STATIC_COLS] = static
        f[:, _COL["zipf_spun"]] = zs
        f[:, _COL["zipf_gain"]] = static[:, _ZIPF_CAND] - zs
        f[:, _COL["len_spun"]] = n_spun
        f[:, _COL["log_n_cands"]] = np.repeat([_LOGS[n] if n < len(_LOGS) else math.log(n) for n in n_cands], n_cands)
        f[:, _COL["len_delta"]] = static[:, _LEN_CAND] - n_spun
        is_cand = np.ones(end - row, dtype=bool)
        is_cand[np.cumsum([0] + n_cands[:-1]) + np.arange(len(new))] = False
        self._feat[row:end][is_cand] = f
        self._feat[row:end][~is_cand] = 0.0

    def _record(self, words: tuple, capital: bool) -> bytes:
        """The pool record of `words`: the number of its LM ids as shown (capitalised like the spun
        text: features.surface, then the LM's lower-casing), its number of words, the words interned
        (-1 padded to MAX_WORDS), the LM ids (PAD-padded to the pool's width)."""
        hit = self._records[capital].get(words)
        if hit is not None:
            return hit
        get = self.scorer.lm.vocab.get
        if capital and words:  # as shown lower-case but for the first word's LM id
            hit = self._records[False].get(words) or self._record(words, False)
            first = get(lm_word(words[0][:1].upper() + words[0][1:]), INVALID)
            if first != get(lm_word(words[0]), INVALID):
                hit = hit[: 8 * _IDS] + _ONE.pack(first) + hit[8 * (_IDS + 1) :]
        else:
            ids = [get(lm_word(w), INVALID) for w in words]
            if len(ids) > self._width:
                self._grow(len(self._int), len(ids))
            intern = self.intern
            values = [len(ids), len(words)]
            values += [intern.setdefault(w, len(intern)) for w in words[:MAX_WORDS]]
            values += _NONE[: _IDS - len(values)]
            values += ids
            values += [PAD] * (self._width - len(ids))
            hit = _pack(self._width).pack(*values)
        self._records[capital][words] = hit
        return hit


@functools.cache
def _pack(width: int) -> struct.Struct:
    return struct.Struct(f"<{_IDS + width}q")


_NONE = [-1] * MAX_WORDS
_ONE = struct.Struct("<q")


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
    table padded with -inf: one sort of its rows gives every proposal's best, second best and the
    candidates' ranks in a few calls per document."""
    n, width = len(n_cands), int(n_cands.max())
    pid = np.repeat(np.arange(n), n_cands)
    cell = np.arange(len(cand_lp)) + np.repeat(np.arange(n) * width - starts[:-1], n_cands)  # in the table
    table = np.full(n * width, -np.inf)
    table[cell] = cand_lp
    table = table.reshape(n, width)
    order = np.argsort(table, axis=1)
    ranked = np.take_along_axis(table, order, axis=1)  # ascending, the padding first
    best = ranked[:, -1]
    second = np.where(n_cands > 1, ranked[:, -2], spun_lp) if width > 1 else spun_lp
    # rank: how many of its proposal's candidates score higher (np.argsort's order when none tie)
    above = np.empty_like(order)
    np.put_along_axis(above, order, np.arange(width - 1, -1, -1), axis=1)
    rank = above.ravel()[cell].astype(float)
    tied = np.flatnonzero(((ranked[:, 1:] == ranked[:, :-1]) & (ranked[:, 1:] > -np.inf)).any(axis=1))
    # the per-proposal definition ranks ties as np.argsort orders them (not stably): those proposals'
    # candidates are argsorted again as they were, a matrix of the proposals with as many candidates
    # at a time (np.argsort sorts each row of a matrix as it sorts that row alone)
    for m in np.unique(n_cands[tied]).tolist():
        ks = tied[n_cands[tied] == m]
        at = starts[ks][:, None] + np.arange(m)
        order = np.argsort(-cand_lp[at], axis=1)
        rank[np.take_along_axis(at, order, axis=1)] = np.arange(m)
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
