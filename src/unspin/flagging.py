"""The second stage: each proposal's best guess read again in the light of its whole document.

The span model judges a candidate from its neighbourhood alone, at the base rate of its training mix.
But a word with a weak LM signal means much more in a document full of swaps than in clean news. Two
small tree ensembles (trees.py) read the span model's best guess for a proposal with its document's
features:
- the flag model: were these words swapped, whether or not we know the original? Many spun words have
  no right candidate, or sit in quotations and names that are never restored;
- the restore model: is the best guess the original? It decides what is restored.
Trees rather than logistic regressions because the interactions matter: held out on the real pairs, flag
token F1 0.58 vs 0.52 for a logistic model on the same features.
"""
from __future__ import annotations

import numpy as np

FLAG_EXTRA = ["span_prob", "n_tokens", "in_quote", "in_name"]


def flag_names(span_names: list[str], doc_names: list[str]) -> list[str]:
    return list(span_names) + FLAG_EXTRA + [f"doc_{n}" for n in doc_names]


def flag_rows(doc, decisions, doc_feats: np.ndarray) -> np.ndarray:
    """One row per decision: the span model's features of its best candidate, its probability, where
    it sits, and the document's features."""
    if not decisions:
        return np.zeros((0, 0))
    prot = [doc.tokens[d.proposal.i].protected for d in decisions]
    extra = np.array([(d.prob, d.proposal.j - d.proposal.i, p == "quote", p == "entity")
                      for d, p in zip(decisions, prot)], dtype=float)
    return np.hstack([np.array([d.features for d in decisions]), extra,  # np.vstack, without a call per row
                      np.broadcast_to(doc_feats, (len(decisions), len(doc_feats)))])


def flagged_runs(decisions, probs: np.ndarray, threshold: float, taken: set[int]) -> list[tuple[int, int, float, object]]:
    """Token ranges [i, j) of the flagged proposals, overlapping ones merged, minus tokens already in a
    restoration; each with its highest flag probability and the decision that gave it."""
    hits = sorted(((d.proposal.i, d.proposal.j, float(p), d) for d, p in zip(decisions, probs) if p >= threshold),
                  key=lambda h: (h[0], h[1]))
    merged: list[list] = []
    for i, j, p, d in hits:
        if merged and i < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], j)
            if p > last[2]:
                last[2], last[3] = p, d
        else:
            merged.append([i, j, p, d])
    out = []
    for i, j, p, d in merged:
        # a restoration inside a flagged range splits it into the runs around it
        start = None
        for k in range(i, j + 1):
            inside = k < j and k not in taken
            if inside and start is None:
                start = k
            elif not inside and start is not None:
                out.append((start, k, p, d))
                start = None
    return out


def flagged_tokens(spans: list[tuple[int, int]], probs: np.ndarray, threshold: float) -> set[int]:
    """Indices of the tokens covered by a proposal whose flag probability reaches the threshold."""
    flagged: set[int] = set()
    for (i, j), p in zip(spans, probs):
        if p >= threshold:
            flagged.update(range(i, j))
    return flagged


def choose_flag_threshold(probs_by_doc, labels_by_doc, spans_by_doc, clean_tokens: int, clean_flagged_at,
                          max_clean_share: float = 0.002) -> float:
    """The threshold that maximises token F1 on the real spun training documents, flagging at most
    `max_clean_share` of the tokens of clean documents."""
    best_t, best_f = 0.5, -1.0
    for t in np.arange(0.1, 0.8, 0.025):
        fs = fk = gold = 0
        for probs, labels, spans in zip(probs_by_doc, labels_by_doc, spans_by_doc):
            flagged = flagged_tokens(spans, probs, t)
            for k, lab in enumerate(labels):
                if lab == "sub":
                    gold += 1
                    fs += k in flagged
                elif lab == "keep":
                    fk += k in flagged
        precision, recall = fs / max(fs + fk, 1), fs / max(gold, 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        if clean_flagged_at(t) / max(clean_tokens, 1) <= max_clean_share and f1 > best_f:
            best_t, best_f = float(t), f1
    return best_t
