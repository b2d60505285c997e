import json

import numpy as np

from unspin.checker import Decision
from unspin.flagging import choose_flag_threshold, flagged_runs
from unspin.trees import TreeEnsemble
from unspin.lexicon.reverse import Candidate
from unspin.propose import Proposal


def _decision(i, j):
    return Decision(Proposal(i, j, ("x",) * (j - i), (Candidate(("y",), 1, 1),)), 0, 0.5, np.zeros(1))


def test_trees_predict_through_the_c_api_exactly_what_lightgbm_predicts():
    import lightgbm

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 8))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(size=2000) > 0).astype(float)
    model = TreeEnsemble.fit(x, y, [f"f {k}" for k in range(8)])
    booster = lightgbm.Booster(model_str=model.model_str)
    test = rng.normal(size=(300, 8))
    assert np.allclose(model.predict(test), booster.predict(test), atol=1e-12)
    again = TreeEnsemble.from_json(json.loads(json.dumps(model.to_json())))
    assert np.allclose(again.predict(test), booster.predict(test), atol=1e-12)
    assert np.allclose(again.predict(test[:1]), booster.predict(test[:1]), atol=1e-12)
    assert model.predict(np.zeros((0, 8))).shape == (0,)


def test_flagged_runs_merge_overlaps_and_leave_restored_tokens_out():
    ds = [_decision(0, 2), _decision(1, 3), _decision(5, 6), _decision(8, 12), _decision(20, 21)]
    probs = np.array([0.6, 0.9, 0.7, 0.8, 0.1])
    runs = flagged_runs(ds, probs, threshold=0.5, taken={9})
    assert [(i, j) for i, j, _, _ in runs] == [(0, 3), (5, 6), (8, 9), (10, 12)]
    assert runs[0][2] == 0.9 and runs[0][3] is ds[1]  # the merged run keeps its most confident decision


def test_flag_threshold_maximises_f1_within_the_clean_budget():
    labels = [["sub", "keep", "sub", "keep"]]
    spans = [[(0, 1), (1, 2), (2, 3), (3, 4)]]
    probs = [np.array([0.9, 0.3, 0.6, 0.05])]
    t = choose_flag_threshold(probs, labels, spans, clean_tokens=1000, clean_flagged_at=lambda t: 0)
    assert 0.3 < t <= 0.6  # both swapped tokens, no kept one
    strict = choose_flag_threshold(probs, labels, spans, 1000, clean_flagged_at=lambda t: 10 if t < 0.7 else 0)
    assert strict >= 0.7  # flagging 1% of clean tokens is over the budget below 0.7


def test_decision_labels_tell_a_wrong_guess_for_a_swapped_word_from_damage():
    from types import SimpleNamespace

    from unspin.training import NOT_SWAPPED, RIGHT, RIGHT_NOT_BEST, SWAPPED_NO_RIGHT, decision_label

    ex = SimpleNamespace(token_labels=["keep", "sub", "sub", None, "keep"])
    p = lambda i, j: Proposal(i, j, ("x",) * (j - i), (Candidate(("y",), 1, 1), Candidate(("z",), 1, 1)))
    assert decision_label(ex, p(1, 2), np.array([1.0, 0.0]), best=0) == RIGHT
    assert decision_label(ex, p(1, 2), np.array([1.0, 0.0]), best=1) == RIGHT_NOT_BEST
    assert decision_label(ex, p(1, 3), np.array([0.0, 0.0]), best=0) == SWAPPED_NO_RIGHT
    assert decision_label(ex, p(2, 4), np.array([0.0, 0.0]), best=0) == SWAPPED_NO_RIGHT  # excluded tokens ignored
    assert decision_label(ex, p(0, 2), np.array([0.0, 0.0]), best=0) == NOT_SWAPPED  # a kept word would change
    assert decision_label(SimpleNamespace(token_labels=None), p(0, 1), np.array([0.0, 0.0]), 0) == NOT_SWAPPED


def test_restorations_need_the_flag_gate_when_only_the_flag_model_tells_damage_apart():
    from types import SimpleNamespace

    from unspin.checker import Checker
    from unspin.training import NOT_SWAPPED, RIGHT, SWAPPED_NO_RIGHT, choose_restore_thresholds

    # One spun document: 3 right guesses, 3 wrong guesses for swapped words, 3 changes to kept words, all
    # with the same restore probability; only the flag probability separates the kept words.
    labels = [RIGHT] * 3 + [SWAPPED_NO_RIGHT] * 3 + [NOT_SWAPPED] * 3
    dec = [(_decision(k, k + 1), y) for k, y in enumerate(labels)]
    restore = np.full(9, 0.8)
    flag = np.array([0.9] * 6 + [0.2] * 3)
    spun = SimpleNamespace(spun=1, synthetic=False, doc=SimpleNamespace(n_words=9))
    clean = SimpleNamespace(spun=0, synthetic=False, doc=SimpleNamespace(n_words=10_000))
    checker = Checker("ngram", models=False)
    t, gate = choose_restore_thresholds(checker, [spun, clean], [dec, []], [restore, np.zeros(0)], [flag, np.zeros(0)])
    assert t <= 0.8 and 0.2 < gate <= 0.9  # restore the six flagged ones (3 right, 3 harmless), not the others
