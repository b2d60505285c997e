"""The pipeline: tokenize -> protect -> propose -> score -> decode -> Report."""
from __future__ import annotations

import functools
import gc
import math
from dataclasses import dataclass

import numpy as np

from .batch_features import NgramFeaturizer
from .document import Document
from .features import FEATURES, lm_queries, neural_features, surface, unscored_features
from .flagging import flag_rows, flagged_runs
from .lexicon import Lexicon
from .lexicon.frequency import zipf
from .lm.base import load_scorer
from .models import Models
from .propose import Proposal, free_runs, propose
from .protect import analyze
from .report import Report, Span
from .restore_render import render

DEFAULT_MODEL = "ngram"
MAX_CHARS = 1_000_000
PRUNE_BELOW = 0.1  # the cascade: proposals the n-gram stage gives less than this never reach the neural LM
PRUNE_TOP = 2
TRACE_MIN_COVERAGE = 0.5
TRACE_SWAP_SHARE = 0.05  # an aligned copy with this share of its words swapped is surely spun
DOC_FEATURES = ["log_words", "span_mass", "span_density", "top5_mean", "max_prob", "proposal_mass", "protected_share"]
FLAG_DOC_FEATURES = ["flag_mass", "flag_share"]


class InputTooLarge(ValueError):
    pass


@dataclass(slots=True)
class Decision:
    proposal: Proposal
    candidate: int  # index into proposal.candidates
    prob: float
    features: np.ndarray

    def with_prob(self, prob: float) -> "Decision":
        """The same choice judged again (by the second stage)."""
        return Decision(self.proposal, self.candidate, float(prob), self.features)


def looks_english(doc: Document) -> bool:
    words = [t.lower for t in doc.tokens if t.is_word and t.protected is None and t.text.isalpha() and len(t.text) > 2]
    if len(words) < 8:
        return True
    return sum(zipf(w) >= 2.5 for w in words) / len(words) >= 0.6


def _collector_deferred(method):
    """`method` run with Python's cyclic garbage collector paused, then the collections its
    allocations called for. A check allocates thousands of containers (tokens, proposals, decisions;
    on a cold start the lexicon's and the featurizer's cache entries); run every 700 of them, the
    collector traverses the growing caches again and again (a tenth of a first pass over the dev
    texts). Objects freed by reference counting, most of them, never needed it; cycles are
    collected as before, by generation thresholds, once the check is done."""
    @functools.wraps(method)
    def run(*args, **kwargs):
        if not gc.isenabled():  # the caller's choice (or another check running in another thread)
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()
            count, limit = gc.get_count(), gc.get_threshold()
            if count[0] > limit[0]:  # what the next allocation would trigger (full collections are left to it)
                gc.collect(1 if count[1] > limit[1] else 0)
    return run


class Checker:
    """Loads a scorer and the learned models once; `check` many documents with it.

    >>> Checker("ngram").check("The minister mentioned the invoice was handed.").spans
    """

    def __init__(self, model: str = DEFAULT_MODEL, entities: str = "fast", lexicon: Lexicon | None = None,
                 models: Models | None = None, max_chars: int = MAX_CHARS, index=None):
        self.model_name = DEFAULT_MODEL if model == "default" else model
        self.scorer = load_scorer(self.model_name)
        self.ngram = self.scorer if self.scorer.name == "ngram" else load_scorer("ngram")
        self._prune_models: Models | None = None
        self._featurizer: NgramFeaturizer | None = None
        self.entities = entities
        self.lexicon = lexicon or Lexicon.default()
        self._models = models
        self.max_chars = max_chars
        self.index = None
        if index is not None:
            from .trace.index import Index

            self.index = index if isinstance(index, Index) else Index(str(index), create=False, readonly=True)

    @property
    def models(self) -> Models:
        if self._models is None:
            self._models = Models.shipped(self.scorer.name)
        return self._models

    @property
    def prune_models(self) -> Models:
        if self._prune_models is None:
            self._prune_models = Models.shipped("ngram")
        return self._prune_models

    @property
    def featurizer(self) -> NgramFeaturizer:
        if self._featurizer is None:
            self._featurizer = NgramFeaturizer(self.ngram)
        return self._featurizer

    # -- stages ----------------------------------------------------------------------------------
    def featurize(self, doc: Document, two_pass: bool = True) -> tuple[list[Proposal], list[np.ndarray]]:
        """Proposals and their candidates' features. Spinners swap neighbouring words, so the n-gram
        stage runs twice: the second pass rescores the neighbours of the first pass's restorations
        with those restorations in their context. With a neural scorer this is a cascade: only the
        proposals the n-gram stage finds plausible, with their best few candidates, are rescored by
        the neural LM."""
        dw = self.featurizer.doc_words(doc)
        proposals = propose(doc, self.lexicon, words=dw.words)
        if not proposals:
            return [], []
        rows, starts = self._ngram_stage(dw, proposals, two_pass)
        feats = [rows[a:b] for a, b in zip(starts[:-1].tolist(), starts[1:].tolist())]
        if self.scorer is self.ngram:
            return proposals, feats
        # Every proposal keeps its best few candidates and its n-gram evidence (the second stage flags
        # from it); only those the n-gram stage finds plausible are scored by the neural LM.
        kept_p, kept_f, scored = [], [], []
        for p, f in zip(proposals, feats):
            pp = self.prune_models.span.predict_proba(f)
            top = np.argsort(-pp)[:PRUNE_TOP]
            kept_p.append(Proposal(p.i, p.j, p.spun, tuple(p.candidates[k] for k in top), p.static[top], p.locked))
            kept_f.append(f[top])
            scored.append(pp.max() >= PRUNE_BELOW)
        nn = iter(self.scorer.score_batch(lm_queries(doc, [p for p, s in zip(kept_p, scored) if s])))
        return kept_p, [np.hstack([f, neural_features(next(nn))]) if s else np.hstack([f, unscored_features(len(f))])
                        for f, s in zip(kept_f, scored)]

    def _ngram_stage(self, dw, proposals: list[Proposal], two_pass: bool = True):
        """Feature rows of every candidate of every proposal, and where each proposal's rows start."""
        rows, starts = self.featurizer.features(dw, proposals)
        if two_pass and self._first_stage_models() is not None:
            rows = self._second_pass(dw, proposals, rows, starts)
        return rows, starts

    def _first_stage_models(self) -> Models | None:
        if self.scorer is self.ngram:
            return None if self._models is False else self.models  # False: being trained, no models yet
        return self.prune_models

    def _second_pass(self, dw, proposals, rows, starts):
        models = self._first_stage_models()
        first = self._best(proposals, rows, starts, models.span.predict_proba(rows), models.span_threshold)
        chosen = self.select(first, models.span_threshold)
        if not chosen:
            return rows
        restored, redo = rescoring_targets(chosen, proposals)
        if not redo:
            return rows
        again, _ = self.featurizer.features(dw, [proposals[k] for k in redo], restored)
        k = np.array(redo)
        n = starts[k + 1] - starts[k]
        rows = rows.copy()
        rows[np.repeat(starts[k] - np.cumsum(n) + n, n) + np.arange(len(again))] = again  # each one's rows, in order
        return rows

    @staticmethod
    def _best(proposals, rows, starts, probs, at_least: float | None = None) -> list[Decision]:
        """Each proposal's most probable candidate (the first of equals), as np.argmax per proposal;
        with `at_least`, only the decisions that reach it."""
        seg = starts[:-1]
        top = np.maximum.reduceat(probs, seg)
        n = np.diff(starts)
        hits = np.flatnonzero(probs == np.repeat(top, n))
        owner = np.repeat(np.arange(len(n)), n)[hits]
        best = hits[np.flatnonzero(np.diff(owner, prepend=-1))]  # owners ascend: each one's first hit
        if at_least is not None:
            keep = np.flatnonzero(top >= at_least)
            best, seg = best[keep], seg[keep]
            proposals = [proposals[k] for k in keep.tolist()]
        return list(map(Decision, proposals, (best - seg).tolist(), probs[best].tolist(), rows[best]))

    def decisions(self, doc: Document) -> list[Decision]:
        """For each proposal, its most probable candidate under the span model."""
        if self.scorer is self.ngram:
            dw = self.featurizer.doc_words(doc)
            proposals = propose(doc, self.lexicon, words=dw.words)
            if not proposals:
                return []
            rows, starts = self._ngram_stage(dw, proposals)
            return self._best(proposals, rows, starts, self.models.span.predict_proba(rows))
        proposals, feats = self.featurize(doc)
        if not proposals:
            return []
        rows, starts = np.vstack(feats), np.cumsum([0] + [len(f) for f in feats])
        return self._best(proposals, rows, starts, self.models.span.predict_proba(rows))

    def select(self, decisions: list[Decision], threshold: float | None = None) -> list[Decision]:
        """Non-overlapping restorations above the threshold, most probable first (never locked ones)."""
        t = self.models.span_threshold if threshold is None else threshold
        taken: list[Decision] = []
        used: set[int] = set()
        for d in sorted(decisions, key=lambda d: -d.prob):
            if d.prob < t:
                break
            if d.proposal.locked:
                continue
            rng = range(d.proposal.i, d.proposal.j)
            if used.isdisjoint(rng):
                taken.append(d)
                used.update(rng)
        return sorted(taken, key=lambda d: d.proposal.i)

    def doc_features(self, doc: Document, decisions: list[Decision], chosen: list[Decision]) -> np.ndarray:
        n_words = max(doc.n_words, 1)
        n_free = n_free_words(doc)
        probs = sorted((d.prob for d in decisions), reverse=True)
        top5 = (probs + [0.0] * 5)[:5]
        return np.array([
            math.log1p(n_words),
            sum(d.prob for d in chosen) / n_free,
            len(chosen) / n_free,
            sum(top5) / 5,
            probs[0] if probs else 0.0,
            sum(probs) / n_free,
            1 - n_free / n_words,
        ])

    def second_stage(self, doc: Document, decisions: list[Decision], base: np.ndarray,
                     threshold: float | None = None) -> tuple[list[Decision], np.ndarray | None]:
        """The restorations, and each decision's flag probability, read with the document's features
        (flagging.py). Models without a second stage restore by the span model alone."""
        m = self.models
        if m.restore is None or not decisions:
            return self.select(decisions, threshold), None
        rows = flag_rows(doc, decisions, base)
        free = np.array([not d.proposal.locked for d in decisions], dtype=bool)
        flag = m.flag.predict(rows)
        free &= flag >= m.restore_flag_gate
        restore = np.zeros(len(decisions))  # locked proposals are never restored: not worth a prediction
        if free.any():
            restore[free] = m.restore.predict(rows[free])
        redecided = [d.with_prob(p) for d, p in zip(decisions, restore)]
        chosen = self.select(redecided, m.restore_threshold if threshold is None else threshold)
        return chosen, flag

    def doc_vector(self, doc: Document, base: np.ndarray, flag_probs: np.ndarray | None) -> np.ndarray:
        """The document model's input: `doc_features`, and with a flag model the mass and share of
        flagged proposals per free word."""
        if self.models.flag is None:
            return base
        return np.append(base, flag_summary(doc, flag_probs, self.models.flag_threshold))

    # -- the public call -------------------------------------------------------------------------
    def analyze(self, text: str, id: str | None = None) -> Document:
        if len(text) > self.max_chars:
            raise InputTooLarge(f"text has {len(text):,} characters; the limit is {self.max_chars:,} "
                                "(split it, or raise max_chars)")
        return analyze(text, entities=self.entities, id=id)

    @_collector_deferred
    def check(self, text: str, id: str | None = None, threshold: float | None = None) -> Report:
        doc = self.analyze(text, id=id)
        if doc.n_words == 0:
            return Report(text=text, score=0.0, spun=False, id=id)
        if not looks_english(doc):
            return Report(text=text, score=0.0, spun=False, id=id,
                          warnings=["the text does not look like English: no restoration attempted"],
                          details={"confidence": "low"})
        decisions = self.decisions(doc)
        base = self.doc_features(doc, decisions, self.select(decisions))
        chosen, fprobs = self.second_stage(doc, decisions, base, threshold)
        score = float(self.models.doc.predict_proba(self.doc_vector(doc, base, fprobs)[None, :])[0])
        spans = [self._span(doc, d) for d in chosen]
        if fprobs is not None:
            taken = {k for d in chosen for k in range(d.proposal.i, d.proposal.j)}
            at = self.models.flag_threshold if threshold is None else threshold  # one knob: span confidence
            spans += [self._flag(doc, i, j, p, d) for i, j, p, d in flagged_runs(decisions, fprobs, at, taken)]
        details = {"model": self.model_name, "words": doc.n_words}
        if self.index is not None:
            score, spans = self._trace(doc, score, spans, details)
        return Report(text=text, score=score, spun=score >= self.models.doc_threshold, spans=spans, id=id,
                      details=details)

    def _trace(self, doc: Document, score: float, spans: list[Span], details: dict) -> tuple[float, list[Span]]:
        """Restoration by alignment: when the text traces to an archived source, the aligned
        substitutions, with the source's own words, replace the lexicon's guesses. The score then says
        how surely this is a rewritten copy: high coverage with a share of swapped words."""
        from .trace import restore_by_alignment

        match, aligned = restore_by_alignment(self.index, doc.text, min_coverage=TRACE_MIN_COVERAGE)
        if match is None:
            details["source"] = None
            return score, spans
        swapped = sum(len(s.text.split()) for s in aligned)
        swap_share = swapped / max(doc.n_words * match.coverage, 1)
        trace_score = match.coverage * min(1.0, swap_share / TRACE_SWAP_SHARE)
        details["source"] = {"id": match.id, "coverage": round(match.coverage, 4), "score": round(match.score, 4),
                             "swapped_share": round(swap_share, 4)}
        return max(score, trace_score), aligned

    def _span(self, doc: Document, d: Decision) -> Span:
        p = d.proposal
        start, end = doc.tokens[p.i].start, doc.tokens[p.j - 1].end
        spun_text = doc.text[start:end]
        cand = p.candidates[d.candidate]
        original = render(surface(cand.words, spun_text), spun_text)
        evidence = {"sources": cand.source_names, "lm_delta": round(float(d.features[FEATURES.index("lm_delta")]), 3)}
        return Span(start, end, spun_text, original, d.prob, evidence)


    def _flag(self, doc: Document, i: int, j: int, prob: float, d: Decision) -> Span:
        """A flagged run with no restoration: `original` is the text itself (nothing changes), the best
        guess and why it was not restored are in the evidence."""
        start, end = doc.tokens[i].start, doc.tokens[j - 1].end
        text = doc.text[start:end]
        evidence = {"flag_only": True}
        if (d.proposal.i, d.proposal.j) == (i, j):
            evidence["guess"] = render(surface(d.proposal.candidates[d.candidate].words, text), text)
        if d.proposal.locked:
            evidence["locked"] = doc.tokens[i].protected
        return Span(start, end, text, text, prob, evidence)


def rescoring_targets(chosen: list[Decision], proposals: list[Proposal]):
    """For the second decoding pass: the restorations as {first token: (end, original words)}, and the
    indices of the proposals near one of them (two tokens either side) that do not overlap any."""
    restored = {d.proposal.i: (d.proposal.j, d.proposal.candidates[d.candidate].words) for d in chosen}
    near, inside = set(), set()
    for d in chosen:
        near.update(range(d.proposal.i - 2, d.proposal.j + 2))
        inside.update(range(d.proposal.i, d.proposal.j))
    redo = [k for k, p in enumerate(proposals)
            if (p.i in near or p.j - 1 in near) and inside.isdisjoint(range(p.i, p.j))]
    return restored, redo


def n_free_words(doc: Document) -> int:
    """Words outside protected regions (at least 1: a denominator)."""
    return max(sum(b - a for a, b in free_runs(doc)), 1)


def flag_summary(doc: Document, flag_probs: np.ndarray | None, threshold: float) -> np.ndarray:
    n_free = n_free_words(doc)
    if flag_probs is None or len(flag_probs) == 0:
        return np.zeros(2)
    return np.array([flag_probs.sum() / n_free, (flag_probs >= threshold).sum() / n_free])


@functools.lru_cache(maxsize=4)
def get_checker(model: str = "default", entities: str = "fast", index: str | None = None) -> Checker:
    return Checker(model, entities=entities, index=index)
