"""The document-at-once n-gram stage computes what the per-proposal definition computes: the same
features bit for bit, and so the same reports. The reference is the pipeline the shipped models were
trained with: pocketsphinx queried one trigram at a time, `features.candidate_features` per proposal,
one span-model call per proposal in the second pass."""
import functools
import os
from pathlib import Path

import numpy as np
import pytest

pocketsphinx = pytest.importorskip("pocketsphinx")

from unspin.checker import Checker, Decision, rescoring_targets
from unspin.features import DocVocabulary, candidate_features, lm_queries
from unspin.lm.ngram import LOG_BASE, OOV_LOGP, NgramScorer
from unspin.propose import propose

ROOT = Path(__file__).resolve().parents[1]


class ReferenceNgram:
    """The scalar n-gram scorer as it was: one pocketsphinx query per trigram."""

    def __init__(self):
        pocketsphinx.set_loglevel("FATAL")
        path = os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")
        self.lm = pocketsphinx.NGramModel.readfile(path)

    def logp(self, w, h1, h2):
        raw = self.lm.prob([w, h1, h2])
        return OOV_LOGP if raw < -400_000 else raw * LOG_BASE

    def score_batch(self, queries):
        out = []
        for left, cands, right in queries:
            lw = ["<s>", "<s>"] + NgramScorer._words(left, False)
            rw = NgramScorer._words(right, True)
            scores = []
            for c in cands:
                seq = lw[-2:] + [w.lower().replace("’", "'") for w in c] + rw
                scores.append(sum(self.logp(seq[k], seq[k - 1], seq[k - 2]) for k in range(2, len(seq))))
            out.append(scores)
        return out


def best_per_proposal(proposals, feats, probs) -> list[Decision]:
    """Each proposal's most probable candidate, one proposal at a time (`probs`: every candidate's, in order)."""
    out, k = [], 0
    for p, f in zip(proposals, feats):
        pp = probs[k : k + len(f)]
        best = int(np.argmax(pp))
        out.append(Decision(p, best, float(pp[best]), f[best]))
        k += len(f)
    return out


def reference_decisions(checker: Checker, ref: ReferenceNgram, doc):
    """`Checker.decisions` as it was before the n-gram stage ran a document at once."""
    proposals = propose(doc, checker.lexicon)
    if not proposals:
        return []
    vocab = DocVocabulary(doc)
    feats = [candidate_features(p, s, vocab) for p, s in zip(proposals, ref.score_batch(lm_queries(doc, proposals)))]
    models = checker.models
    first = []
    for p, f in zip(proposals, feats):
        pp = models.span.predict_proba(f)
        b = int(np.argmax(pp))
        first.append(Decision(p, b, float(pp[b]), f[b]))
    chosen = checker.select(first, models.span_threshold)
    if chosen:
        restored, redo = rescoring_targets(chosen, proposals)
        lm = ref.score_batch(lm_queries(doc, [proposals[k] for k in redo], restored))
        for k, s in zip(redo, lm):
            feats[k] = candidate_features(proposals[k], s, vocab)
    return best_per_proposal(proposals, feats, models.span.predict_proba(np.vstack(feats)))


def rewrite(text: str, every: int, seed: int) -> str:
    """Swap every `every`-th word the lexicon knows for one of its candidates (a cheap stand-in for
    the spinner, whose first call takes seconds)."""
    checker = Checker("ngram")
    doc = checker.analyze(text)
    out, pos = [], 0
    for n, p in enumerate(q for q in propose(doc, checker.lexicon) if q.j - q.i == 1):
        if n % every or doc.tokens[p.i].start < pos:
            continue
        tok = doc.tokens[p.i]
        out += [text[pos : tok.start], " ".join(p.candidates[(n + seed) % len(p.candidates)].words)]
        pos = tok.end
    return "".join(out) + text[pos:]


@functools.lru_cache(maxsize=1)
def texts():
    spun = (ROOT / "examples" / "spun_article.txt").read_text(encoding="utf-8")
    orig = (ROOT / "examples" / "original_article.txt").read_text(encoding="utf-8")
    quoted = ('The minister stated the law would change. "The law would change," she stated, and the law '
              "would change again: it is what it is. It’s said that it's said, and it is said. "
              "Zorblax quuxed the frobnicated widgets; the widgets were quuxed.")
    return [spun, orig, quoted] + [rewrite(orig, every, seed) for every, seed in ((3, 0), (2, 1), (1, 2))]


@pytest.fixture(scope="module")
def ref():
    return ReferenceNgram()


@pytest.fixture(scope="module")
def fresh_checker():
    return Checker("ngram")


@pytest.mark.parametrize("k", range(6))
def test_features_equal_the_per_proposal_definition(fresh_checker, ref, k):
    doc = fresh_checker.analyze(texts()[k])
    proposals = propose(doc, fresh_checker.lexicon)
    vocab = DocVocabulary(doc)
    want = [candidate_features(p, s, vocab) for p, s in zip(proposals, ref.score_batch(lm_queries(doc, proposals)))]
    featurizer = fresh_checker.featurizer
    rows, starts = featurizer.features(featurizer.doc_words(doc), proposals)
    assert np.array_equal(rows, np.vstack(want))
    assert starts.tolist() == np.cumsum([0] + [len(f) for f in want]).tolist()
    # with restored neighbours in the context (the second pass)
    restored = {p.i: (p.j, p.candidates[0].words) for p in proposals[::7] if p.j - p.i == 1}
    some = proposals[1::3]
    want = [candidate_features(p, s, vocab) for p, s in zip(some, ref.score_batch(lm_queries(doc, some, restored)))]
    rows, _ = featurizer.features(featurizer.doc_words(doc), some, restored)
    assert np.array_equal(rows, np.vstack(want))


@pytest.mark.parametrize("k", range(6))
def test_reports_equal_the_reference_pipeline(fresh_checker, ref, k):
    text = texts()[k]
    doc = fresh_checker.analyze(text)
    want = reference_decisions(fresh_checker, ref, doc)
    got = fresh_checker.decisions(doc)
    assert [(d.proposal.i, d.proposal.j, d.candidate) for d in got] == [(d.proposal.i, d.proposal.j, d.candidate) for d in want]
    assert np.allclose([d.prob for d in got], [d.prob for d in want], rtol=0, atol=1e-12)
    report = fresh_checker.check(text)
    base = fresh_checker.doc_features(doc, want, fresh_checker.select(want))
    chosen, flag_probs = fresh_checker.second_stage(doc, want, base)
    want_score = float(fresh_checker.models.doc.predict_proba(fresh_checker.doc_vector(doc, base, flag_probs)[None, :])[0])
    assert abs(report.score - want_score) < 1e-12
    assert [(s.start, s.end, s.original) for s in report.spans if not s.evidence.get("flag_only")] == [
        (s.start, s.end, s.original) for s in (fresh_checker._span(doc, d) for d in chosen)]
