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
from .checker import DOC_FEATURES, FLAG_DOC_FEATURES, Checker, Decision, flag_summary
from .flagging import choose_flag_threshold, flag_names, flag_rows, flagged_tokens
from .trees import TreeEnsemble
from .features import FEATURES, NEURAL_FEATURES
from .models import Logistic, Models
from .tokenize import normalize


@dataclass
class DocExamples:
    doc: object
    proposals: list
    feats: list  # per proposal: (n_cands, n_features)
    labels: list  # per proposal: (n_cands,) 1/0, or None where the tokens are excluded
    spun: int  # document label
    token_labels: list | None = None  # per token "sub", "keep" or None (excluded); None for negatives
    synthetic: bool = False  # made by the reference spinner: never teaches the span model


def gold_targets(spun_text: str, orig_text: str):
    """{(i, j): original words} and the gold label of every spun token ("sub", "keep" or None: excluded
    from every figure)."""
    pa = align_pair(spun_text, orig_text)
    targets: dict[tuple[int, int], tuple[str, ...]] = {}
    for s in pa.substitutions:
        orig = tuple(normalize(t.text) for t in pa.orig_tokens[s.orig[0] : s.orig[1]])
        targets[s.spun] = orig
        if s.spun[1] - s.spun[0] == len(orig):
            for k in range(s.spun[1] - s.spun[0]):
                targets.setdefault((s.spun[0] + k, s.spun[0] + k + 1), (orig[k],))
    return targets, pa.spun_label()


def doc_examples(checker: Checker, text: str, orig_text: str | None, spun: int) -> DocExamples:
    doc = checker.analyze(text)
    proposals, feats = checker.featurize(doc)
    targets, token_labels = gold_targets(text, orig_text) if orig_text is not None else ({}, None)
    excluded = {k for k, lab in enumerate(token_labels or []) if lab is None}
    labels = []
    for p in proposals:
        if any(k in excluded for k in range(p.i, p.j)):
            labels.append(None)
            continue
        want = targets.get((p.i, p.j))
        labels.append(np.array([float(want is not None and c.words == want) for c in p.candidates]))
    return DocExamples(doc, proposals, feats, labels, spun, token_labels)


def fit_span(examples: list[DocExamples], c: float = 1.0) -> Logistic:
    """The span model learns from real substitutions only: the reference spinner's word choices are
    cruder than real spinners', and would teach it to expect them."""
    xs, ys = [], []
    for ex in examples:
        if ex.synthetic:
            continue
        for f, y in zip(ex.feats, ex.labels):
            if y is not None:
                xs.append(f)
                ys.append(y)
    x = np.vstack(xs)
    names = FEATURES if x.shape[1] == len(FEATURES) else FEATURES + NEURAL_FEATURES
    return Logistic.fit(x, np.concatenate(ys), names, c=c)


# Labels of a decision (its proposal's best candidate), from the gold alignment:
RIGHT = 2.0  # the best candidate is the original
RIGHT_NOT_BEST = 1.0  # the original is among the candidates, another one is best
SWAPPED_NO_RIGHT = 0.5  # every (non-excluded) token was swapped, the original is not among the candidates
NOT_SWAPPED = 0.0  # the proposal covers a word that was not swapped


def decision_label(ex: DocExamples, p, y: np.ndarray, best: int) -> float:
    if y[best]:
        return RIGHT
    if y.any():
        return RIGHT_NOT_BEST
    labs = [lab for lab in (ex.token_labels or [])[p.i : p.j] if lab is not None]
    return SWAPPED_NO_RIGHT if labs and all(lab == "sub" for lab in labs) else NOT_SWAPPED


def example_decisions(ex: DocExamples, span: Logistic) -> list[tuple[Decision, float | None]]:
    """Each proposal's best candidate, with its label (`decision_label`; None over excluded tokens)."""
    out = []
    for p, f, y in zip(ex.proposals, ex.feats, ex.labels):
        pp = span.predict_proba(f)
        b = int(np.argmax(pp))
        out.append((Decision(p, b, float(pp[b]), f[b]), None if y is None else decision_label(ex, p, y, b)))
    return out


# Net value of a first-stage restoration decision: a right original gains 1, the right place with a wrong
# word 0.2 (it is flagged), and any other change costs 2 (damage is worse than a miss).
GAIN = {RIGHT: 1.0, RIGHT_NOT_BEST: 0.2, SWAPPED_NO_RIGHT: -2.0, NOT_SWAPPED: -2.0}
# The same for the second stage's restorations, which know (from the flag model) whether a word was
# swapped at all: replacing a swapped word by a wrong original leaves the text as far from the original
# as it was (no damage by EVALUATION.md's measure) but still misleads a reader, so it costs half a hit;
# changing a word that was not swapped is damage and costs two.
RESTORE_GAIN = {RIGHT: 1.0, RIGHT_NOT_BEST: -0.5, SWAPPED_NO_RIGHT: -0.5, NOT_SWAPPED: -2.0}
MAX_CLEAN_CHANGE = 0.003


def choose_threshold(checker: Checker, examples: list[DocExamples], decided: list[list]) -> float:
    return _best_threshold(checker, examples, decided, GAIN)[0]


def _best_threshold(checker: Checker, examples: list[DocExamples], decided: list[list], gain: dict) -> tuple[float, float]:
    """The threshold of the most net value (`gain`) on the real spun documents while changing at most
    MAX_CLEAN_CHANGE of the negatives' words; and that value."""
    best_t, best_v = 0.5, -np.inf
    clean_words = sum(ex.doc.n_words for ex in examples if not ex.spun) or 1
    for t in np.arange(0.1, 0.96, 0.025):
        value, clean_changed = 0.0, 0
        for ex, dec in zip(examples, decided):
            if ex.synthetic:
                continue
            label_of = {id(d): y for d, y in dec}
            for d in checker.select([d for d, _ in dec], t):
                y = label_of[id(d)]
                if ex.spun and y is not None:
                    value += gain[y]
                elif not ex.spun:
                    clean_changed += d.proposal.j - d.proposal.i
        if clean_changed / clean_words <= MAX_CLEAN_CHANGE and value > best_v:
            best_t, best_v = float(t), value
    return best_t, best_v


FLAG_GATES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def choose_restore_thresholds(checker: Checker, examples, decided: list[list], restore_probs, flag_probs):
    """(restore threshold, flag gate): a restoration needs the restore model's probability that its
    guess is the original AND the flag model's probability that the word was swapped at all. Two
    questions, two models: the restore model alone cannot tell a swapped word it has no right guess for
    (harmless to leave) from an unswapped one (damage)."""
    best = (0.5, 0.0, -np.inf)
    for gate in FLAG_GATES:
        redecided = [[(d.with_prob(p if f >= gate else 0.0), y)
                      for (d, y), p, f in zip(dec, rp, fp)]
                     for dec, rp, fp in zip(decided, restore_probs, flag_probs)]
        t, v = _best_threshold(checker, examples, redecided, RESTORE_GAIN)
        if v > best[2]:
            best = (t, gate, v)
    return best[0], best[1]


MAX_FALSE_POSITIVES = 0.015


def verdict_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The verdict threshold: 0.5, raised if needed so that at most 1.5% of the negatives are called spun
    (a false accusation is worse than a miss; the score itself stays a calibrated probability)."""
    neg = np.sort(scores[labels == 0])
    if len(neg) == 0:
        return 0.5
    q = neg[min(len(neg) - 1, int(np.floor(len(neg) * (1 - MAX_FALSE_POSITIVES))))]
    return float(max(0.5, min(0.95, q + 1e-6)))


def fit_models(checker: Checker, examples: list[DocExamples], span_threshold: float | None = None,
               folds: int = 3, seed: int = 0) -> Models:
    span = fit_span(examples)
    # cross-fitted span probabilities, for the restore threshold and the document model
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(len(examples)) % folds
    decided: list = [None] * len(examples)
    for k in range(folds):
        train = [e for e, f in zip(examples, fold_of) if f != k]
        m = fit_span(train)
        for idx in np.flatnonzero(fold_of == k):
            decided[idx] = example_decisions(examples[idx], m)
    if span_threshold is None:
        span_threshold = choose_threshold(checker, examples, decided)
    base = []
    for ex, dec in zip(examples, decided):
        ds = [d for d, _ in dec]
        base.append(checker.doc_features(ex.doc, ds, checker.select(ds, span_threshold)))
    stage = fit_second_stage(checker, examples, decided, base, span.names, fold_of)
    rows = [np.append(b, flag_summary(ex.doc, fp, stage.flag_threshold))
            for ex, b, fp in zip(examples, base, stage.flag_probs)]
    x = np.vstack(rows)
    y = np.array([ex.spun for ex in examples])
    doc = Logistic.fit(x, y, DOC_FEATURES + FLAG_DOC_FEATURES, c=1.0)
    return Models(span, doc, span_threshold, verdict_threshold(doc.predict_proba(x), y),
                  meta={"scorer": checker.scorer.name, "docs": len(examples),
                        "spun_docs": int(sum(e.spun for e in examples))},
                  flag=stage.flag, flag_threshold=stage.flag_threshold,
                  restore=stage.restore, restore_threshold=stage.restore_threshold,
                  restore_flag_gate=stage.restore_flag_gate)


def second_stage_labels(ex: DocExamples, dec: list) -> tuple[list, list]:
    """Per decision, the flag label (1 when the proposal covers a swapped token, 0 when it covers none,
    None over excluded tokens only) and the restore label (1 when its best candidate is the original)."""
    flag, restore = [], []
    for d, y in dec:
        restore.append(None if y is None else float(y == 2.0))
        if ex.token_labels is None:
            flag.append(0.0)
            continue
        labs = ex.token_labels[d.proposal.i : d.proposal.j]
        flag.append(None if all(lab is None for lab in labs) else float("sub" in labs))
    return flag, restore


@dataclass
class SecondStage:
    flag: TreeEnsemble
    flag_threshold: float
    flag_probs: list  # cross-fitted, per example
    restore: TreeEnsemble
    restore_threshold: float
    restore_flag_gate: float


def fit_second_stage(checker, examples, decided, base, span_names, fold_of) -> SecondStage:
    """The flag and restore models, with their thresholds chosen on cross-fitted predictions: the flag
    threshold for token F1, the restore threshold and flag gate for the net value (RESTORE_GAIN) within the
    clean-change budget. Unlike the span model, both learn from the synthetic documents too: held out on
    the real pairs, thesaurus span F1 0.68 vs 0.65 for a flag model fitted on real documents only (and
    the document model reading its output reaches AUC 1.00 vs 0.99); restored exact 0.283 vs 0.289 for
    the restore model, which otherwise restores next to nothing on text spun by other means than the
    few real spinners it saw (the reference spinner's example: no restoration at all)."""
    x = [flag_rows(ex.doc, [d for d, _ in dec], b) for ex, dec, b in zip(examples, decided, base)]
    labels = [second_stage_labels(ex, dec) for ex, dec in zip(examples, decided)]
    names = flag_names(span_names, DOC_FEATURES)

    FLAG, RESTORE = 0, 1

    def fit(idx, which: int) -> TreeEnsemble:
        xs, ys = [], []
        for i in idx:
            y = labels[i][which]
            keep = [k for k, v in enumerate(y) if v is not None]
            if keep:
                xs.append(x[i][keep])
                ys.append(np.array([y[k] for k in keep]))
        return TreeEnsemble.fit(np.vstack(xs), np.concatenate(ys), names, **(FLAG_TREES if which == FLAG else {}))

    flag_probs: list = [np.zeros(0)] * len(examples)
    restore_probs: list = [np.zeros(0)] * len(examples)
    for k in np.unique(fold_of):
        train = np.flatnonzero(fold_of != k)
        flag_m, restore_m = fit(train, FLAG), fit(train, RESTORE)
        for i in np.flatnonzero(fold_of == k):
            if len(x[i]):
                flag_probs[i], restore_probs[i] = flag_m.predict(x[i]), restore_m.predict(x[i])

    real_spun = [i for i, ex in enumerate(examples) if ex.spun and not ex.synthetic and ex.token_labels is not None]
    clean = [i for i, ex in enumerate(examples) if not ex.spun]
    spans = [[(d.proposal.i, d.proposal.j) for d, _ in dec] for dec in decided]
    clean_tokens = sum(len(examples[i].doc.tokens) for i in clean)

    def clean_flagged_at(t):
        return sum(len(flagged_tokens(spans[i], flag_probs[i], t)) for i in clean)

    flag_threshold = choose_flag_threshold([flag_probs[i] for i in real_spun],
                                           [examples[i].token_labels for i in real_spun],
                                           [spans[i] for i in real_spun], clean_tokens, clean_flagged_at)
    restore_threshold, restore_flag_gate = choose_restore_thresholds(checker, examples, decided, restore_probs, flag_probs)
    every = range(len(examples))
    return SecondStage(fit(every, FLAG), flag_threshold, flag_probs, fit(every, RESTORE), restore_threshold,
                       restore_flag_gate)


INNER_FOLDS = 5
# The flag model runs on every proposal, the restore model on free ones only: half the flag model's trees
# (at twice the learning rate) buy ~10% of a check's time at the same held-out quality within noise
# (thesaurus span F1 0.678 vs 0.682, restored exact 0.324 vs 0.306, damage 0.97% vs 0.94%). The restore
# model keeps 200: at 100 its damage rose above 1% (1.03%).
FLAG_TREES = {"rounds": 100, "learning_rate": 0.1}
SYNTHETIC_SHARE = 0.35  # of the clean documents, spun by the reference spinner as extra positives
SYNTHETIC_RATES = (0.15, 0.35)


def synthetic_pairs(clean: list[dict], share: float = SYNTHETIC_SHARE, seed: int = 0) -> list[dict]:
    """Spun copies of some clean documents: positives that teach the models the LM evidence of
    substitution in general, not only the phrases of the few real pairs."""
    from .spinner import Spinner

    out = []
    step = max(1, round(1 / share)) if share > 0 else 0
    for k, c in enumerate(clean[::step] if step else []):
        res = Spinner(seed=seed + k).spin(c["text"], rate=SYNTHETIC_RATES[k % len(SYNTHETIC_RATES)])
        out.append({"id": f"syn-{c.get('id', k)}", "spun_text": res.spun_text, "orig_text": res.orig_text,
                    "kind": "synthetic"})
    return out


def train_checker(model: str, lexicon, pairs: list[dict], clean: list[dict], prune_models: Models | None = None,
                  synthetic_share: float = SYNTHETIC_SHARE) -> Checker:
    """A checker whose models are fitted on these pairs and clean documents only (plus spun copies of
    a share of those clean documents)."""
    from .lexicon import Lexicon
    from .lexicon.learn import learn_phrase_table

    checker = Checker(model, lexicon=lexicon, models=False, entities="fast")
    checker._prune_models = prune_models
    # A pair's own substitutions must not be in the phrase table it is featurized with, or the span
    # model would learn that the table knows every answer: the table is cross-fitted (k-fold by pair).
    examples = [None] * len(pairs)
    fold = np.arange(len(pairs)) % INNER_FOLDS
    for k in range(INNER_FOLDS):
        inner = Checker(model, lexicon=Lexicon(lexicon.thesaurus, phrase_table=learn_phrase_table(
            [p for p, f in zip(pairs, fold) if f != k])), models=False, entities="fast")
        inner._prune_models = prune_models
        for i in np.flatnonzero(fold == k):
            examples[i] = doc_examples(inner, pairs[i]["spun_text"], pairs[i]["orig_text"], 1)
    examples += [doc_examples(checker, p["orig_text"], None, 0) for p in pairs]
    for p in synthetic_pairs(clean, synthetic_share):
        examples.append(doc_examples(checker, p["spun_text"], p["orig_text"], 1))
        examples[-1].synthetic = True
    examples += [doc_examples(checker, c["text"], None, 0) for c in clean]
    checker._models = fit_models(checker, examples)
    return checker


def cross_fitted_checkers(pairs: list[dict], clean: list[dict], model: str = "default", k: int = 5, seed: int = 0):
    """For each of k folds (by pair; clean documents spread over the folds): a checker whose phrase
    table and models were fitted without the fold, and the indices of the fold's pairs and clean
    documents. Yields (checker, pair indices, clean indices)."""
    from .lexicon import Lexicon
    from .lexicon.learn import learn_phrase_table

    rng = np.random.default_rng(seed)
    pair_fold = rng.permutation(len(pairs)) % k
    clean_fold = rng.permutation(len(clean)) % k
    base = Lexicon.default()
    for f in range(k):
        train_pairs = [p for p, pf in zip(pairs, pair_fold) if pf != f]
        lexicon = Lexicon(base.thesaurus, phrase_table=learn_phrase_table(train_pairs))
        train_clean = [c for c, cf in zip(clean, clean_fold) if cf != f]
        checker = train_checker("ngram", lexicon, train_pairs, train_clean)
        if model not in ("ngram", "default"):
            checker = train_checker(model, lexicon, train_pairs, train_clean, prune_models=checker.models)
        yield checker, np.flatnonzero(pair_fold == f), np.flatnonzero(clean_fold == f)


def cross_validated_reports(pairs: list[dict], clean: list[dict], model: str = "default", k: int = 5, seed: int = 0):
    """Reports for every spun text, original and clean document, each made by a phrase table and models
    fitted without that pair (`cross_fitted_checkers`).

    Returns (spun_reports, orig_reports, clean_reports) in input order."""
    spun_reports: list = [None] * len(pairs)
    orig_reports: list = [None] * len(pairs)
    clean_reports: list = [None] * len(clean)
    for checker, pair_idx, clean_idx in cross_fitted_checkers(pairs, clean, model, k, seed):
        for i in pair_idx:
            spun_reports[i] = checker.check(pairs[i]["spun_text"], id=pairs[i].get("id"))
            orig_reports[i] = checker.check(pairs[i]["orig_text"], id=pairs[i].get("id"))
        for i in clean_idx:
            clean_reports[i] = checker.check(clean[i]["text"], id=clean[i].get("id"))
    return spun_reports, orig_reports, clean_reports
