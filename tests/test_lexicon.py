from unspin.lexicon import Lexicon
from unspin.lexicon.grammar import reverse_pairs
from unspin.lexicon.reverse import ReverseThesaurus, inflect_phrase


def words(cands):
    return {" ".join(c.words) for c in cands}


def test_reverse_thesaurus_finds_originals():
    rt = ReverseThesaurus.default()
    assert "said" in words(rt.lookup("stated"))
    assert "possible" in words(rt.lookup("imaginable"))


def test_reverse_lookup_reinflects_through_the_lemma():
    rt = ReverseThesaurus.default()
    assert "saying" in words(rt.lookup("stating"))
    assert "countrying" not in words(rt.lookup("stating"))  # a noun sense is not inflected as a verb
    assert "risks" in words(rt.lookup("dangers"))


def test_inflect_phrase_inflects_the_head():
    assert inflect_phrase("move through", "VBG") == "moving through"
    assert inflect_phrase("news agency", "NNS") == "news agencies"


def test_grammar_pairs_work_both_ways():
    g = reverse_pairs()
    assert "it's" in g["it is"] and "it is" in g["it's"]


def test_lexicon_merges_sources_and_never_proposes_the_word_itself():
    lex = Lexicon(phrase_table={"information company": {"news agency": 3}})
    c = lex.candidates("information company")
    assert "news agency" in words(c)
    assert all(x.words != ("information", "company") for x in c)
    learned = [x for x in c if x.words == ("news", "agency")][0]
    assert "learned" in learned.source_names and learned.count == 3
    assert len(lex.candidates("stated")) <= lex.max_candidates


def test_immutable_words_are_unknown_to_the_lexicon():
    lex = Lexicon.default()
    assert lex.knows("stated")
    assert not lex.knows("lukashenko")
