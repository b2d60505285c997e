"""The reference spinner: reproducibility, protection, inflection, offsets, rate."""
from __future__ import annotations

import re

import pytest

from unspin.alignment import align_pair
from unspin.lexicon.reverse import ReverseThesaurus
from unspin.spinner import ForwardThesaurus, Spinner

# A tiny reverse thesaurus (spun -> [(original, source bits, n_syn)]): one choice per original, so the
# spinner's output at rate 1.0 is fully determined and can be asserted word for word.
TINY = ReverseThesaurus({
    "state": [("say", 3, 10)],
    "transfer": [("move", 3, 5)],
    "automobile": [("car", 3, 5)],
    "consistent with": [("according to", 4, 5)],
    "wire service": [("news agency", 2, 3)],
    "swiftly": [("quickly", 3, 4)],
    "increase": [("rise", 3, 6)],
})

TEXT = ("Officials said the company was moving its cars quickly, according to the news agency. "
        "Prices rise when fuel is moving.\n\n"
        "He did not comment on the report, published by Moving Cars Ltd on 12 May 2024 at "
        "https://example.com/moving-cars and quoted as \"we said nothing about moving cars\".")

# Real-looking prose for the tests that use the shipped thesaurus (written for the tests).
PROSE = ("The city council said on Tuesday that it would move the weekly market to a larger square "
         "near the river, after traders complained that the old site was too small and difficult to reach. "
         "Several shop owners told reporters they expected the change to bring more visitors, although some "
         "residents worried about traffic and noise in the narrow streets. The council promised to review "
         "the decision after six months and to publish a report on its effects. Local farmers, who sell "
         "fresh vegetables and cheese every week, welcomed the plan and said the new location would give "
         "them more space for their stalls. A spokesman added that parking near the square would be free "
         "during market hours, and that buses would run more often on market days.")


@pytest.fixture(scope="module")
def tiny():
    return ForwardThesaurus.from_reverse(TINY)


def test_inflection_capitals_and_phrases_follow_the_original(tiny):
    result = Spinner(seed=1, lexicon=tiny, grammar=False).spin(TEXT, rate=1.0)
    spun = result.spun_text
    # said -> stated (VBD), moving -> transferring (VBG), cars -> automobiles (plural kept),
    # a two-word phrase -> a two-word phrase, a phrase key -> its inflected choice
    # ("quickly" is left: it touches "cars", and adjacent swaps would read as one longer rewrite)
    assert spun.startswith("Officials stated the company was transferring its automobiles quickly, "
                           "consistent with the wire service. Prices increase when fuel is transferring.")
    pairs = {(s.original, s.replacement) for s in result.substitutions}
    assert ("according to", "consistent with") in pairs and ("news agency", "wire service") in pairs


def test_protected_text_is_never_touched(tiny):
    result = Spinner(seed=1, lexicon=tiny, grammar=False).spin(TEXT, rate=1.0)
    for protected in ("Moving Cars Ltd", "12 May 2024", "https://example.com/moving-cars",
                      "\"we said nothing about moving cars\""):
        assert protected in result.spun_text
    for s in result.substitutions:  # nothing inside a quotation, a name, a number or a URL
        assert not any(a < s.end and s.start < b for a, b in [(m.start(), m.end()) for m in
                       re.finditer(r"Moving Cars Ltd|https://\S+|\"[^\"]+\"", TEXT)])


def test_text_outside_substitutions_is_unchanged_and_offsets_are_exact(tiny):
    result = Spinner(seed=3, lexicon=tiny).spin(TEXT, rate=1.0)
    assert result.substitutions
    pos_o = pos_s = 0
    for s in result.substitutions:
        assert TEXT[s.start : s.end] == s.original
        assert result.spun_text[s.spun_start : s.spun_end] == s.replacement
        assert TEXT[pos_o : s.start] == result.spun_text[pos_s : s.spun_start]  # whitespace, punctuation
        pos_o, pos_s = s.end, s.spun_end
    assert TEXT[pos_o:] == result.spun_text[pos_s:]


def test_gold_alignment_recovers_every_substitution(tiny):
    # adjacent swaps are never made, so each substitution is its own `replace` run in the gold alignment
    result = Spinner(seed=2, lexicon=tiny, grammar=False).spin(TEXT, rate=1.0)
    pa = align_pair(result.spun_text, TEXT)
    gold = {(pa.orig_tokens[s.orig[0]].start, pa.orig_tokens[s.orig[1] - 1].end) for s in pa.substitutions}
    assert gold == {(s.start, s.end) for s in result.substitutions}


def test_grammar_pairs_both_ways_and_apostrophe_style():
    spinner = Spinner(seed=5, lexicon=ForwardThesaurus({}))
    curly = spinner.spin("It’s late and they did not wait.", rate=1.0).spun_text
    assert curly in {"It is late and they didn’t wait."}
    straight = spinner.spin("It's late.", rate=1.0).spun_text
    assert straight == "It is late."


def test_same_seed_same_output_whatever_was_spun_before():
    a = Spinner(seed=11)
    first = a.spin(PROSE, rate=0.3).spun_text
    a.spin("Something else entirely was spun in between.", rate=0.5)
    assert a.spin(PROSE, rate=0.3).spun_text == first
    assert Spinner(seed=11).spin(PROSE, rate=0.3).spun_text == first


def test_different_seeds_differ():
    outputs = {Spinner(seed=s).spin(PROSE, rate=0.3).spun_text for s in range(4)}
    assert len(outputs) == 4
    assert PROSE not in outputs


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_rate_is_roughly_honoured(rate):
    result = Spinner(seed=7).spin(PROSE, rate=rate)
    assert result.eligible_words > 40
    assert abs(result.achieved_rate - rate) <= 0.05


def test_lower_rate_replaces_a_subset():
    low = Spinner(seed=7).spin(PROSE, rate=0.15).substitutions
    high = Spinner(seed=7).spin(PROSE, rate=0.35).substitutions
    assert {(s.start, s.end, s.replacement) for s in low} < {(s.start, s.end, s.replacement) for s in high}


def test_zero_rate_and_bad_rate():
    assert Spinner().spin(PROSE, rate=0.0).spun_text == PROSE
    with pytest.raises(ValueError):
        Spinner().spin(PROSE, rate=1.5)


def test_package_level_spin_delegates():
    import unspin

    assert unspin.spin(PROSE, rate=0.3, seed=4) == Spinner(seed=4).spin(PROSE, rate=0.3).spun_text


def test_sentence_initial_names_short_words_and_slang_are_left_alone():
    lexicon = ForwardThesaurus.from_reverse(ReverseThesaurus({
        "island": [("ireland", 3, 2)], "metal": [("al", 3, 2)], "shit": [("cent", 4, 2)],
        "penny": [("cent", 3, 2)], "ocean": [("sea", 3, 2)]}))
    text = "Ireland won. Al left. It cost a cent. The sea rose."
    result = Spinner(seed=1, lexicon=lexicon, grammar=False).spin(text, rate=1.0)
    # "Ireland" starts a sentence but no dictionary knows "ireland": a name; "Al" is too short;
    # "cent" may become "penny", never the slang "shit"; "sea" becomes "ocean"
    assert result.spun_text == "Ireland won. Al left. It cost a penny. The ocean rose."
