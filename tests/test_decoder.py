import numpy as np

from unspin.checker import Decision
from unspin.lexicon.reverse import Candidate
from unspin.propose import Proposal, free_runs, propose
from unspin.protect import analyze
from unspin.training import gold_targets


def _decision(i, j, prob):
    return Decision(Proposal(i, j, ("x",) * (j - i), (Candidate(("y",), 1, 1),)), 0, prob, np.zeros(1))


def test_select_keeps_the_most_probable_non_overlapping_spans(checker):
    ds = [_decision(0, 2, 0.6), _decision(1, 2, 0.9), _decision(3, 4, 0.4), _decision(5, 6, 0.2)]
    chosen = checker.select(ds, threshold=0.3)
    assert [(d.proposal.i, d.proposal.j) for d in chosen] == [(1, 2), (3, 4)]


def test_select_never_restores_locked_proposals(checker):
    locked = _decision(0, 1, 0.99)
    locked.proposal.locked = True
    assert [d.proposal.i for d in checker.select([locked, _decision(2, 3, 0.5)], threshold=0.3)] == [2]


def test_proposals_skip_protected_tokens_and_cover_phrases(checker):
    doc = analyze('Officials in Ohio stated "the danger is huge" consistent with the report.')
    props = propose(doc, checker.lexicon)
    texts = {" ".join(p.spun) for p in props if not p.locked}
    assert "stated" in texts and "consistent with" in texts
    assert "danger" not in texts and "ohio" not in texts
    # quoted words and names are proposed locked: they may be flagged, never restored
    locked = [p for p in props if p.locked]
    assert "danger" in {" ".join(p.spun) for p in locked}
    assert all(doc.tokens[k].protected in ("quote", "entity") for p in locked for k in range(p.i, p.j))
    for a, b in free_runs(doc):
        assert all(doc.tokens[k].protected is None for k in range(a, b))


def test_gold_targets_follow_the_evaluation_alignment():
    spun = "The service stated that storms are imaginable tonight."
    orig = "The service said that storms are possible tonight."
    targets, labels = gold_targets(spun, orig)
    assert targets == {(2, 3): ("said",), (6, 7): ("possible",)}
    assert labels[2] == labels[6] == "sub" and labels[0] == "keep" and None not in labels


def test_decoder_prefers_the_original_in_context(checker):
    r = checker.check("Isolated tornadoes are imaginable tonight, the weather service stated.")
    got = {s.text: s.original for s in r.spans}
    assert "possible" in r.restored and "imaginable" not in r.restored
    assert got.get("stated") == "said"
