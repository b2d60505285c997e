import json

import numpy as np
import pytest

from unspin.checker import Checker, InputTooLarge
from unspin.models import Logistic
from unspin.report import Report, Span, apply_spans



def test_report_contract_spans_index_the_input_and_restored_applies_them(checker, spun_text):
    SPUN = spun_text
    report = checker.check(SPUN)
    d = report.to_dict()
    assert set(d) >= {"score", "spun", "spans", "restored"}
    assert 0.0 <= d["score"] <= 1.0
    prev_end = -1
    for s in d["spans"]:
        assert SPUN[s["start"] : s["end"]] == s["text"]
        assert s["start"] >= prev_end
        prev_end = s["end"]
        assert 0.0 <= s["confidence"] <= 1.0
    assert d["restored"] == apply_spans(SPUN, report.spans)
    json.dumps(d)


def test_the_classic_spin_is_flagged_and_restored(checker, spun_text):
    SPUN = spun_text
    report = checker.check(SPUN)
    assert report.spun
    originals = {s.text.lower(): s.original.lower() for s in report.spans}
    assert originals.get("stated") == "said"


def test_protected_regions_are_never_changed(checker, spun_text):
    SPUN = spun_text
    report = checker.check(SPUN)
    quote = SPUN.index('"We will')
    assert all(s.end <= quote for s in report.spans)  # the quotation, Paris and the date stay


def test_empty_text_gives_a_valid_empty_report(checker):
    for text in ("", "   \n\t", "!!! ... ---"):
        r = checker.check(text)
        assert r.score == 0.0 and r.spans == [] and r.restored == text and not r.spun


def test_non_english_text_is_warned_and_left_alone(checker):
    text = ("Der Minister sagte am Donnerstag, dass die Regierung das Gesetz in den nächsten Tagen ändern werde, "
            "und die Opposition kritisierte den Vorschlag scharf.")
    r = checker.check(text)
    assert r.warnings and r.spans == [] and r.restored == text


def test_huge_text_is_refused_clearly():
    c = Checker("ngram", max_chars=1000)
    with pytest.raises(InputTooLarge, match="limit"):
        c.check("word " * 500)


def test_clean_text_is_mostly_untouched(checker):
    text = ("The company said on Tuesday that its profit rose in the third quarter, helped by strong demand "
            "for its products in Europe and Asia. Shares rose 3% in early trading.")
    r = checker.check(text)
    assert len(r.spans) <= 1
    assert r.score < 0.5


def test_report_rejects_spans_that_do_not_index_the_text():
    with pytest.raises(ValueError):
        Report(text="abc def", score=0.5, spun=False, spans=[Span(0, 3, "xyz", "q", 0.9)])
    with pytest.raises(ValueError):
        Report(text="abc def", score=0.5, spun=False, spans=[Span(0, 3, "abc", "q", 0.9), Span(2, 5, "c d", "q", 0.9)])


def test_logistic_model_is_calibrated_on_its_own_distribution():
    # data drawn from a known logistic model: predicted probabilities must match observed rates
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 2))
    p = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 0.5 * x[:, 1] - 1.0)))
    y = (rng.random(20000) < p).astype(float)
    m = Logistic.fit(x, y, ["a", "b"])
    q = m.predict_proba(x)
    for lo in (0.1, 0.3, 0.5, 0.7):
        sel = (q >= lo) & (q < lo + 0.1)
        assert abs(y[sel].mean() - q[sel].mean()) < 0.03
    back = Logistic.from_json(json.loads(json.dumps(m.to_json())))
    assert np.allclose(back.predict_proba(x[:10]), q[:10])


def test_a_restoration_needs_the_flag_models_gate_too(checker, spun_text):
    import dataclasses

    from unspin.checker import Checker

    assert any(s.original != s.text for s in checker.check(spun_text).spans)
    gated = Checker("ngram", lexicon=checker.lexicon, models=dataclasses.replace(checker.models, restore_flag_gate=1.01))
    spans = gated.check(spun_text).spans
    assert spans and all(s.original == s.text for s in spans)  # still flagged, nothing restored
