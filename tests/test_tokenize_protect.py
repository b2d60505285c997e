from unspin.protect import analyze
from unspin.tokenize import normalize, split_sentences, tokenize


def test_tokens_keep_offsets_into_the_text():
    text = "Lukashenko  said “it’s over” — at 3.5% on www.example.com!"
    toks = tokenize(text)
    assert [t.text for t in toks][:4] == ["Lukashenko", "said", "“", "it’s"]
    for t in toks:
        assert text[t.start : t.end] == t.text


def test_normalize_maps_typography():
    assert normalize("“") == '"' and normalize("’") == "'" and normalize("—") == "-" and normalize("[") == "("
    assert normalize("It’s") == "it's"


def test_sentences_split_on_end_punctuation_and_blank_lines():
    text = "One two. Three four\n\nFive six"
    toks = tokenize(text)
    spans = split_sentences(text, toks)
    assert [" ".join(t.text for t in toks[a:b]) for a, b in spans] == ["One two .", "Three four", "Five six"]


def test_quotes_names_numbers_urls_are_protected():
    text = 'Officials in Minsk stated that "the war is over" on 12 May, see https://example.com/x or mail a@b.org.'
    doc = analyze(text)
    kinds = {t.text: t.protected for t in doc.tokens}
    assert kinds["Minsk"] == "entity"
    assert kinds["war"] == "quote"
    assert kinds["12"] == "number"
    assert kinds["https"] == "url"
    assert kinds["stated"] is None and kinds["Officials"] is None


def test_html_markup_is_protected_not_rewritten():
    doc = analyze("<p class=\"big\">The minister stated</p>")
    prot = {t.text for t in doc.tokens if t.protected == "markup"}
    assert {"p", "class", "big"} <= prot
    assert not any(t.protected for t in doc.tokens if t.text == "stated")


def test_spacy_entities_mode():
    doc = analyze("Yesterday Angela Merkel visited Warsaw.", entities="spacy")
    assert {t.text for t in doc.tokens if t.protected == "entity"} >= {"Angela", "Merkel", "Warsaw"}
