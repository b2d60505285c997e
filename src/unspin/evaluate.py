"""The figures of EVALUATION.md, computed from reports (any source: a checker, a cross-validation run,
a file of saved reports).

Every ratio is micro-averaged: numerators and denominators are summed over the documents of a column
before dividing, so long documents weigh more. A figure whose denominator is zero is None.

Columns: one per `kind` of pair, "all" for every real kind together, and "synthetic" (pairs made by
`unspin spin`) on its own, never mixed into "all". Negatives of a column are its pairs' originals plus
every clean document (clean news has no kind, so it stands beside each kind).

Example::

    from unspin.evaluate import evaluate_reports
    result = evaluate_reports(pairs, spun_reports, orig_reports, clean_docs, clean_reports)
    result["columns"]["all"]["detection"]["auc"]
"""
from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field

import numpy as np

from .alignment import align_pair, opcodes
from .report import Report
from .tokenize import normalize, tokenize

SYNTHETIC = "synthetic"
ALL = "all"
N_BINS = 10


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def _matched_orig(a_text: str, orig_tokens) -> set[int]:
    """Indices of original tokens matched (`equal`) when `a_text` is aligned with the original."""
    _, _, ops = opcodes(tokenize(a_text), orig_tokens)
    return {j for tag, _i1, _i2, j1, j2 in ops if tag == "equal" for j in range(j1, j2)}


def changed_tokens(text: str, restored: str) -> tuple[int, int]:
    """(tokens of `text` that `restored` changes, tokens of `text`). Unlike the pair alignment, the ends
    are kept: a negative's restored text covers exactly the same excerpt, so a change to its first
    word is a change."""
    a = [normalize(t.text) for t in tokenize(text)]
    if text == restored:
        return 0, len(a)
    b = [normalize(t.text) for t in tokenize(restored)]
    kept = sum(size for _i, _j, size in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return len(a) - kept, len(a)


@dataclass(slots=True)
class PairCounts:
    """The per-pair counts every figure is summed from."""

    kind: str
    # span flagging (spun tokens not excluded)
    flagged_sub: int = 0
    flagged_keep: int = 0
    gold_sub: int = 0
    # restoration
    substitutions: int = 0
    restored_exact: int = 0
    matched_in_spun: int = 0
    damaged: int = 0
    missed_by_spun: int = 0
    missed_by_restored: int = 0


def pair_counts(kind: str, spun_report: Report, orig_text: str) -> PairCounts:
    pa = align_pair(spun_report.text, orig_text)
    c = PairCounts(kind)
    spans = spun_report.spans
    for tok, label in zip(pa.spun_tokens, pa.spun_label()):
        if label is None:
            continue
        flagged = any(s.start < tok.end and tok.start < s.end for s in spans)
        if label == "sub":
            c.gold_sub += 1
            c.flagged_sub += flagged
        else:
            c.flagged_keep += flagged
    matched_spun = {j for a, b in pa.untouched_orig for j in range(a, b)}
    matched_restored = matched_spun if not spans else _matched_orig(spun_report.restored, pa.orig_tokens)
    sub_orig = {j for s in pa.substitutions for j in range(*s.orig)}
    considered = sub_orig | matched_spun
    c.substitutions = len(pa.substitutions)
    c.restored_exact = sum(all(j in matched_restored for j in range(*s.orig)) for s in pa.substitutions)
    c.matched_in_spun = len(matched_spun)
    c.damaged = len(matched_spun - matched_restored)
    c.missed_by_spun = len(considered - matched_spun)
    c.missed_by_restored = len(considered - matched_restored)
    return c


def detection(pos_scores, pos_verdicts, neg_scores, neg_verdicts) -> dict:
    from sklearn.metrics import roc_auc_score

    tp = sum(pos_verdicts)
    fp = sum(neg_verdicts)
    n_pos, n_neg = len(pos_scores), len(neg_scores)
    y = [1] * n_pos + [0] * n_neg
    auc = float(roc_auc_score(y, list(pos_scores) + list(neg_scores))) if n_pos and n_neg else None
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, n_pos)
    return {"auc": auc, "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "fpr": _ratio(fp, n_neg), "n_pos": n_pos, "n_neg": n_neg}


def calibration(scores, labels, n_bins: int = N_BINS) -> dict:
    """Brier score and a reliability table: per score bin, how many documents, their mean score and the
    share of them that are spun."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    if not len(s):
        return {"brier": None, "bins": []}
    from sklearn.metrics import brier_score_loss

    brier = float(brier_score_loss(y, s)) if len(set(y.tolist())) > 1 else float(np.mean((s - y) ** 2))
    idx = np.minimum((s * n_bins).astype(int), n_bins - 1)  # [0, .1), ..., [.9, 1.0]
    bins = []
    for b in range(n_bins):
        m = idx == b
        n = int(m.sum())
        bins.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "n": n,
                     "mean_score": float(s[m].mean()) if n else None,
                     "positive_rate": float(y[m].mean()) if n else None})
    return {"brier": brier, "bins": bins}


@dataclass(slots=True)
class Column:
    pairs: list[PairCounts] = field(default_factory=list)
    pos: list[Report] = field(default_factory=list)
    neg: list[Report] = field(default_factory=list)
    n_clean: int = 0

    def figures(self) -> dict:
        flagged_sub = sum(c.flagged_sub for c in self.pairs)
        flagged = flagged_sub + sum(c.flagged_keep for c in self.pairs)
        gold = sum(c.gold_sub for c in self.pairs)
        sp, sr = _ratio(flagged_sub, flagged), _ratio(flagged_sub, gold)
        changed = [changed_tokens(r.text, r.restored) for r in self.neg]
        missed_spun = sum(c.missed_by_spun for c in self.pairs)
        missed_restored = sum(c.missed_by_restored for c in self.pairs)
        scores = [r.score for r in self.pos] + [r.score for r in self.neg]
        labels = [1] * len(self.pos) + [0] * len(self.neg)
        return {
            "n_pairs": len(self.pairs),
            "n_clean": self.n_clean,
            "detection": detection([r.score for r in self.pos], [r.spun for r in self.pos],
                                   [r.score for r in self.neg], [r.spun for r in self.neg]),
            "spans": {"precision": sp, "recall": sr, "f1": _f1(sp, sr), "gold_tokens": gold, "flagged_tokens": flagged},
            "restoration": {
                "restored_exact": _ratio(sum(c.restored_exact for c in self.pairs), sum(c.substitutions for c in self.pairs)),
                "damage_rate": _ratio(sum(c.damaged for c in self.pairs), sum(c.matched_in_spun for c in self.pairs)),
                "error_reduction": None if not missed_spun else 1 - missed_restored / missed_spun,
                "clean_words_changed": _ratio(sum(n for n, _ in changed), sum(t for _, t in changed)),
                "substitutions": sum(c.substitutions for c in self.pairs),
            },
            "calibration": calibration(scores, labels),
        }


def column_order(kinds) -> list[str]:
    real = sorted(k for k in set(kinds) if k != SYNTHETIC)
    return real + ([ALL] if real else []) + ([SYNTHETIC] if SYNTHETIC in kinds else [])


def evaluate_reports(pairs: list[dict], spun_reports: list[Report], orig_reports: list[Report],
                     clean_docs: list[dict] | None = None, clean_reports: list[Report] | None = None,
                     progress: bool = False) -> dict:
    """All figures for each kind, "all" real kinds, and "synthetic". `spun_reports[i]` and
    `orig_reports[i]` are the reports on `pairs[i]["spun_text"]` and `["orig_text"]`."""
    clean_reports = list(clean_reports or [])
    if len(spun_reports) != len(pairs) or len(orig_reports) != len(pairs):
        raise ValueError("one spun and one original report per pair, in the order of the pairs")
    if clean_docs is not None and len(clean_docs) != len(clean_reports):
        raise ValueError("one report per clean document")
    kinds = [str(p.get("kind") or "unknown") for p in pairs]
    names = column_order(kinds)
    columns = {name: Column(n_clean=len(clean_reports), neg=list(clean_reports)) for name in names}
    iterable = zip(kinds, pairs, spun_reports, orig_reports)
    if progress:
        from tqdm import tqdm

        iterable = tqdm(iterable, total=len(pairs), desc="scoring pairs", unit="pair", file=sys.stderr, disable=None)
    for kind, pair, spun, orig in iterable:
        counts = pair_counts(kind, spun, pair["orig_text"])
        targets = [kind] + ([ALL] if kind != SYNTHETIC else [])
        for name in targets:
            col = columns[name]
            col.pairs.append(counts)
            col.pos.append(spun)
            col.neg.append(orig)
    if not names and clean_reports:  # clean documents alone: false positives and words changed still mean something
        names = [ALL]
        columns[ALL] = Column(n_clean=len(clean_reports), neg=list(clean_reports))
    return {"columns": {name: columns[name].figures() for name in names}}


# -- building the reports ------------------------------------------------------------------------

@dataclass(slots=True)
class Loaded:
    records: list[dict]
    lines: list[int]  # line number of each record
    errors: list[tuple[int, str]]


def load_jsonl(path: str, fields: tuple[str, ...]) -> Loaded:
    """Records that have every field as a string; the rest as (line, error)."""
    from .textio import iter_jsonl

    out = Loaded([], [], [])
    for rec in iter_jsonl(path, text_field=fields[0]):
        if rec.error:
            out.errors.append((rec.line, rec.error))
            continue
        missing = [f for f in fields[1:] if not isinstance(rec.record.get(f), str)]
        if missing:
            out.errors.append((rec.line, f"missing or non-string {missing[0]!r} field"))
            continue
        out.records.append(rec.record)
        out.lines.append(rec.line)
    return out


def _check_all(check, texts: list[str], desc: str, progress: bool) -> list[Report]:
    if progress:
        from tqdm import tqdm

        texts = tqdm(texts, desc=desc, unit="doc", file=sys.stderr, disable=None)  # silent when not a terminal
    return [check(t) for t in texts]


def run_eval(pairs_path: str, clean_path: str | None = None, model: str = "default", cv: int = 0,
             progress: bool = False) -> dict:
    """Read pairs (and clean documents), build the reports, and compute every figure.

    cv=0: the shipped models check every spun text, original and clean document.
    cv=K: K-fold cross-validation (`unspin.training.cross_validated_reports`): each report comes from
    models trained without that pair or document.
    Malformed lines are skipped and listed under "errors" (file, line, error)."""
    if cv < 0 or cv == 1:
        raise ValueError("cv must be 0 (shipped models) or at least 2 folds")
    errors: list[tuple[str, int, str]] = []
    sources = [(pairs_path, ("spun_text", "orig_text"))] + ([(clean_path, ("text",))] if clean_path else [])
    loaded = []
    for path, fields in sources:
        got = load_jsonl(path, fields)
        errors += [(path, line, msg) for line, msg in got.errors]
        loaded.append(got)
    pairs = loaded[0].records
    clean = loaded[1].records if clean_path else []
    if cv:
        from .training import cross_validated_reports

        spun_r, orig_r, clean_r = cross_validated_reports(pairs, clean, model=model, k=cv)
    else:
        from .checker import get_checker

        checker = get_checker(model)
        keep: list[list[dict]] = []
        for (path, fields), got in zip(sources, loaded):
            kept = []
            for rec, line in zip(got.records, got.lines):
                big = [f for f in fields if len(rec[f]) > checker.max_chars]
                if big:
                    errors.append((path, line, f"{big[0]!r} has {len(rec[big[0]]):,} characters, over the "
                                               f"checker's limit of {checker.max_chars:,}; skipped"))
                else:
                    kept.append(rec)
            keep.append(kept)
        pairs, clean = keep[0], (keep[1] if clean_path else [])
        spun_r = _check_all(checker.check, [p["spun_text"] for p in pairs], "spun texts", progress)
        orig_r = _check_all(checker.check, [p["orig_text"] for p in pairs], "originals", progress)
        clean_r = _check_all(checker.check, [d["text"] for d in clean], "clean docs", progress)
    result = evaluate_reports(pairs, spun_r, orig_r, clean, clean_r)
    result.update(model=model, cv=cv, pairs=pairs_path, clean=clean_path,
                  errors=[{"file": f, "line": line, "error": msg} for f, line, msg in errors])
    return result
