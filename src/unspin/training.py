"""Fitting the span and document models from aligned pairs and clean documents.

Span labels come from the gold alignment of EVALUATION.md: a (proposal, candidate) is positive when the
proposal covers a gold substitution (or one word of an equal-length one) and the candidate is its
original. Document features need span probabilities the span model did not see in training, so the
document model is fitted on cross-fitted span predictions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .alignment import align_pair
from .checker import DOC_FEATURES, Checker, Decision
from .features import FEATURES, candidate_features, lm_queries
from .models import Logistic, Models
from .propose import propose
from .tokenize import normalize


@dataclass
class DocExamples:
    doc: object
    proposals: list
    feats: list  # per proposal: (n_cands, n_features)
    labels: list  # per proposal: (n_cands,) 1/0, or None where the tokens are excluded
    spun: int  # document label


def gold_targets(spun_text: str, orig_text: str):
    """{(i, j): original words} and the set of spun token indices that are excluded from every figure."""
    pa = align_pair(spun_text, orig_text)
    targets: dict[tuple[int, int], tuple[str, ...]] = {}
    for s in pa.substitutions:
        orig = tuple(normalize(t.text) for t in pa.orig_tokens[s.orig[0] : s.orig[1]])
        targets[s.spun] = orig
        if s.spun[1] - s.spun[0] == len(orig):
            for k in range(s.spun[1] - s.spun[0]):
                targets.setdefault((s.spun[0] + k, s.spun[0] + k + 1), (orig[k],))
    labels = pa.spun_label()
    excluded = {k for k, lab in enumerate(labels) if lab is None}
    return targets, excluded


def doc_examples(checker: Checker, text: str, orig_text: str | None, spun: int) -> DocExamples:
    doc = checker.analyze(text)
    proposals = propose(doc, checker.lexicon)
    lm = checker.scorer.score_batch(lm_queries(doc, proposals)) if proposals else []
    feats = [candidate_features(p, s) for p, s in zip(proposals, lm)]
    targets, excluded = gold_targets(text, orig_text) if orig_text is not None else ({}, set())
    labels = []
    for p in proposals:
        if any(k in excluded for k in range(p.i, p.j)):
            labels.append(None)
            continue
        want = targets.get((p.i, p.j))
        labels.append(np.array([float(want is not None and c.words == want) for c in p.candidates]))
    return DocExamples(doc, proposals, feats, labels, spun)


def fit_span(examples: list[DocExamples], c: float = 1.0) -> Logistic:
    xs, ys = [], []
    for ex in examples:
        for f, y in zip(ex.feats, ex.labels):
            if y is not None:
                xs.append(f)
                ys.append(y)
    return Logistic.fit(np.vstack(xs), np.concatenate(ys), FEATURES, c=c)


def doc_feature_row(checker: Checker, ex: DocExamples, span: Logistic, threshold: float) -> np.ndarray:
    decisions = []
    for p, f in zip(ex.proposals, ex.feats):
        pp = span.predict_proba(f)
        b = int(np.argmax(pp))
        decisions.append(Decision(p, b, float(pp[b]), f[b]))
    chosen = checker.select(decisions, threshold)
    return checker.doc_features(ex.doc, decisions, chosen)


def fit_models(checker: Checker, examples: list[DocExamples], span_threshold: float = 0.5,
               folds: int = 3, seed: int = 0) -> Models:
    span = fit_span(examples)
    # cross-fitted span probabilities for the document model
    rng = np.random.default_rng(seed)
    fold_of = rng.integers(0, folds, len(examples))
    rows = [None] * len(examples)
    for k in range(folds):
        train = [e for e, f in zip(examples, fold_of) if f != k]
        if not any(e.spun for e in train):
            continue
        m = fit_span(train)
        for idx in np.flatnonzero(fold_of == k):
            rows[idx] = doc_feature_row(checker, examples[idx], m, span_threshold)
    keep = [i for i, r in enumerate(rows) if r is not None]
    x = np.vstack([rows[i] for i in keep])
    y = np.array([examples[i].spun for i in keep])
    doc = Logistic.fit(x, y, DOC_FEATURES, c=1.0)
    return Models(span, doc, span_threshold, 0.5, meta={"scorer": checker.scorer.name, "docs": len(examples),
                                                        "spun_docs": int(sum(e.spun for e in examples))})
