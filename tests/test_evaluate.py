"""EVALUATION.md figures on hand-built pairs and reports, every number worked out by hand below."""
from __future__ import annotations

import pytest

from unspin.alignment import align_pair
from unspin.evaluate import ALL, SYNTHETIC, changed_tokens, evaluate_reports
from unspin.report import Report, Span

# Pair A (thesaurus).   spun tokens: The police stated the automobile was fast .   (8)
#                       orig tokens: The police said   the car        was fast .   (8)
#   gold: substitutions stated/said (spun 2, orig 2) and automobile/car (spun 4, orig 4); untouched 6 tokens
# Pair B (paraphrase).  spun: Costs  rose steeply on Monday .   orig: Prices rose sharply on Monday .
#   the leading Costs/Prices run is unmatched at the start -> dropped -> token 0 excluded;
#   gold: one substitution steeply/sharply (token 2); untouched: rose on Monday . (4 tokens)
# Pair D (synthetic).   spun: The automobile was fast .   orig: The car was fast .  -> one substitution
A_SPUN, A_ORIG = "The police stated the automobile was fast.", "The police said the car was fast."
B_SPUN, B_ORIG = "Costs rose steeply on Monday.", "Prices rose sharply on Monday."
C_TEXT = "Markets were calm today."  # clean news: 5 tokens
D_SPUN, D_ORIG = "The automobile was fast.", "The car was fast."

PAIRS = [
    {"id": "a", "kind": "thesaurus", "spun_text": A_SPUN, "orig_text": A_ORIG},
    {"id": "b", "kind": "paraphrase", "spun_text": B_SPUN, "orig_text": B_ORIG},
    {"id": "d", "kind": "synthetic", "spun_text": D_SPUN, "orig_text": D_ORIG},
]
CLEAN = [{"id": "c", "text": C_TEXT}]


def span(text: str, word: str, original: str) -> Span:
    i = text.index(word)
    return Span(i, i + len(word), word, original, 0.9)


SPUN_REPORTS = [
    # A: "stated" restored right (a flagged gold token), "fast" flagged wrongly, "automobile" missed.
    #    restored: The police said the automobile was quick .
    Report(A_SPUN, 0.9, True, [span(A_SPUN, "stated", "said"), span(A_SPUN, "fast", "quick")]),
    # B: "Costs" lies on an excluded token (ignored); "steeply" restored right; restored == original.
    Report(B_SPUN, 0.4, False, [span(B_SPUN, "Costs", "Prices"), span(B_SPUN, "steeply", "sharply")]),
    Report(D_SPUN, 0.8, True, [span(D_SPUN, "automobile", "car")]),
]
ORIG_REPORTS = [
    Report(A_ORIG, 0.6, True, [span(A_ORIG, "fast", "quick")]),  # a false positive changing 1 of 8 tokens
    Report(B_ORIG, 0.1, False),
    Report(D_ORIG, 0.2, False),
]
CLEAN_REPORTS = [Report(C_TEXT, 0.3, False, [span(C_TEXT, "calm", "quiet")])]  # changes 1 of 5 tokens


@pytest.fixture(scope="module")
def result():
    return evaluate_reports(PAIRS, SPUN_REPORTS, ORIG_REPORTS, CLEAN, CLEAN_REPORTS)


def test_the_hand_alignment_is_what_evaluation_md_gives():
    a = align_pair(A_SPUN, A_ORIG)
    assert [(s.spun, s.orig) for s in a.substitutions] == [((2, 3), (2, 3)), ((4, 5), (4, 5))]
    b = align_pair(B_SPUN, B_ORIG)
    assert [(s.spun, s.orig) for s in b.substitutions] == [((2, 3), (2, 3))]
    assert b.spun_label()[0] is None


def test_columns_keep_synthetic_apart(result):
    assert list(result["columns"]) == ["paraphrase", "thesaurus", ALL, SYNTHETIC]
    assert result["columns"][ALL]["n_pairs"] == 2
    assert result["columns"][SYNTHETIC]["n_pairs"] == 1


def test_thesaurus_column(result):
    c = result["columns"]["thesaurus"]
    # positives: A spun 0.9 (spun); negatives: A orig 0.6 (spun!), clean 0.3
    # AUC: 0.9 beats both -> 1.0; TP 1, FP 1 -> precision 1/2, recall 1/1, F1 2*.5*1/1.5 = 2/3; FPR 1/2
    assert c["detection"] == pytest.approx({"auc": 1.0, "precision": 0.5, "recall": 1.0, "f1": 2 / 3, "fpr": 0.5,
                                            "n_pos": 1, "n_neg": 2})
    # spans: flagged gold token "stated" (TP), flagged kept token "fast" (FP), "automobile" missed
    # -> precision 1/2, recall 1/2, F1 1/2
    assert c["spans"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "gold_tokens": 2, "flagged_tokens": 2})
    # restored vs original: The police said the [automobile/car] was [quick/fast] .
    #   restored exact: said matched, car not -> 1/2
    #   damage: orig tokens matched in spun {0,1,3,5,6,7}; "fast" (6) lost -> 1/6
    #   error reduction: considered = all 8 orig tokens; spun misses {2,4}, restored misses {4,6} -> 1 - 2/2 = 0
    #   clean words changed: A orig 1 of 8 tokens, clean doc 1 of 5 -> 2/13
    assert c["restoration"] == pytest.approx({"restored_exact": 0.5, "damage_rate": 1 / 6, "error_reduction": 0.0,
                                              "clean_words_changed": 2 / 13, "substitutions": 2})
    # Brier: ((0.9-1)^2 + 0.6^2 + 0.3^2) / 3 = (0.01 + 0.36 + 0.09) / 3 = 0.46/3
    assert c["calibration"]["brier"] == pytest.approx(0.46 / 3)


def test_paraphrase_column(result):
    c = result["columns"]["paraphrase"]
    # positives: B spun 0.4 (not spun); negatives: B orig 0.1, clean 0.3 -> AUC 1.0
    # no positive verdict: precision undefined (None), recall 0/1, F1 undefined, FPR 0/2
    assert c["detection"] == pytest.approx({"auc": 1.0, "precision": None, "recall": 0.0, "f1": None, "fpr": 0.0,
                                            "n_pos": 1, "n_neg": 2})
    # spans: "Costs" is excluded, "steeply" is the only gold token and is flagged -> 1, 1, 1
    assert c["spans"] == pytest.approx({"precision": 1.0, "recall": 1.0, "f1": 1.0, "gold_tokens": 1, "flagged_tokens": 1})
    # restored == original: exact 1/1; damage 0/4; considered = orig {1,...,5} (token 0 is excluded),
    # spun misses {2}, restored misses none -> error reduction 1 - 0/1 = 1; changed: 0 of 6 + 1 of 5 -> 1/11
    assert c["restoration"] == pytest.approx({"restored_exact": 1.0, "damage_rate": 0.0, "error_reduction": 1.0,
                                              "clean_words_changed": 1 / 11, "substitutions": 1})
    # Brier: (0.6^2 + 0.1^2 + 0.3^2) / 3 = 0.46/3
    assert c["calibration"]["brier"] == pytest.approx(0.46 / 3)


def test_all_column(result):
    c = result["columns"][ALL]
    # positives 0.9 (spun), 0.4; negatives: clean 0.3, A orig 0.6 (spun), B orig 0.1
    # AUC: 0.9 beats 3; 0.4 beats 0.3 and 0.1, not 0.6 -> 5/6
    # TP 1, FP 1 -> precision 1/2, recall 1/2, F1 1/2; FPR 1/3
    assert c["detection"] == pytest.approx({"auc": 5 / 6, "precision": 0.5, "recall": 0.5, "f1": 0.5, "fpr": 1 / 3,
                                            "n_pos": 2, "n_neg": 3})
    # spans: TP 2 (stated, steeply), FP 1 (fast), gold 3 -> 2/3, 2/3, 2/3
    assert c["spans"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "gold_tokens": 3,
                                        "flagged_tokens": 3})
    # exact (1 + 1)/(2 + 1); damage (1 + 0)/(6 + 4); error reduction 1 - (2 + 0)/(2 + 1);
    # clean words changed (1 + 0 + 1)/(8 + 6 + 5)
    assert c["restoration"] == pytest.approx({"restored_exact": 2 / 3, "damage_rate": 0.1, "error_reduction": 1 / 3,
                                              "clean_words_changed": 2 / 19, "substitutions": 3})
    # Brier: (0.01 + 0.36 + 0.09 + 0.36 + 0.01) / 5 = 0.166
    assert c["calibration"]["brier"] == pytest.approx(0.166)
    filled = [(b["lo"], b["n"], b["mean_score"], b["positive_rate"]) for b in c["calibration"]["bins"] if b["n"]]
    expected = [(0.1, 1, 0.1, 0.0), (0.3, 1, 0.3, 0.0), (0.4, 1, 0.4, 1.0), (0.6, 1, 0.6, 0.0), (0.9, 1, 0.9, 1.0)]
    assert [x for row in filled for x in row] == pytest.approx([x for row in expected for x in row])
    assert len(c["calibration"]["bins"]) == 10


def test_synthetic_column(result):
    c = result["columns"][SYNTHETIC]
    # positive 0.8 (spun); negatives clean 0.3, D orig 0.2 -> AUC 1, precision 1, recall 1, FPR 0
    assert c["detection"] == pytest.approx({"auc": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "fpr": 0.0,
                                            "n_pos": 1, "n_neg": 2})
    assert c["spans"]["f1"] == 1.0
    # restored == original; changed: D orig 0 of 5, clean 1 of 5 -> 1/10
    assert c["restoration"] == pytest.approx({"restored_exact": 1.0, "damage_rate": 0.0, "error_reduction": 1.0,
                                              "clean_words_changed": 0.1, "substitutions": 1})


def test_changed_tokens_counts_a_change_at_the_very_start():
    # the pair alignment drops unmatched ends; a negative's first word changed is still a change
    assert changed_tokens("Calm markets today.", "Quiet markets today.") == (1, 4)
    assert changed_tokens("Calm markets today.", "Calm markets today.") == (0, 4)


def test_reports_must_match_pairs():
    with pytest.raises(ValueError):
        evaluate_reports(PAIRS, SPUN_REPORTS[:1], ORIG_REPORTS)
