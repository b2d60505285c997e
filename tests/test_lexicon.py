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


def test_cached_inflection_equals_lemminflect():
    """reverse._inflect and _inflections read lemminflect's tables once per lemma; they must answer
    exactly as lemminflect's getInflection(..., inflect_oov=False) and getAllInflections."""
    import itertools

    from unspin.lexicon.inflect import getAllInflections, getInflection
    from unspin.lexicon.reverse import _inflect, _inflections

    rt = ReverseThesaurus.default()
    lemmas = [k for k in itertools.islice(rt.table, 0, 60_000, 97) if " " not in k]
    lemmas += ["be", "have", "go", "run", "good", "well", "fast", "Paris", "NASA", "child", "datum", "up", "xyzzy"]
    tags = ["VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD", "NN", "NNS", "NNP", "NNPS", "JJ", "JJR", "JJS",
            "RB", "RBR", "RBS", "RP"]
    for lemma in lemmas:
        for tag in tags:
            forms = getInflection(lemma, tag, inflect_oov=False)
            assert _inflect(lemma, tag) == (forms[0] if forms else None), (lemma, tag)
        for upos in (None, "NOUN", "PROPN", "VERB", "AUX", "ADJ", "ADV"):
            assert _inflections(lemma, upos) == getAllInflections(lemma, upos), (lemma, upos)
            assert list(_inflections(lemma, upos)) == list(getAllInflections(lemma, upos))
