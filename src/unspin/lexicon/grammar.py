"""Function-word alternations that spinners make and no thesaurus lists: modals, determiners,
connectives and contractions (spinners expand "it's" and contract "did not"). Written by hand because
they are closed classes of English grammar, not vocabulary; each pair is listed once and used both ways."""
from __future__ import annotations

PAIRS = [
    ("may", "might"), ("may", "could"), ("might", "could"), ("can", "could"), ("will", "would"),
    ("will", "shall"), ("should", "must"), ("should", "ought to"), ("must", "has to"), ("must", "have to"),
    ("should", "needs to"), ("should", "need to"), ("will", "is going to"), ("could", "may well"),
    ("each", "every"), ("some", "a few"), ("another", "a different"), ("another", "every other"),
    ("many", "a lot of"), ("many", "numerous"), ("all", "every"), ("most", "maximum"),
    ("but", "however"), ("but", "but"), ("while", "whereas"), ("because of", "due to"),
    ("because", "as a result of"), ("through", "thru"), ("through", "via"), ("although", "even though"),
    ("how", "the way"), ("also", "additionally"), ("also", "as well"), ("so", "so that"), ("if", "whether"),
    ("about", "approximately"), ("about", "round"), ("around", "round"), ("up to", "as much as"),
    ("before", "prior to"), ("after", "following"), ("in", "within"), ("on", "at"), ("across", "around"),
    ("whatever", "no matter"), ("was", "used to be"), ("were", "have been"), ("were", "had been"),
    ("is", "is being"), ("had", "had been"), ("got", "were given"), ("got", "received"),
    ("it's", "it is"), ("that's", "that is"), ("there's", "there is"), ("didn't", "did not"),
    ("don't", "do not"), ("doesn't", "does not"), ("isn't", "is not"), ("aren't", "are not"),
    ("wasn't", "was not"), ("weren't", "were not"), ("can't", "cannot"), ("can't", "can not"),
    ("won't", "will not"), ("wouldn't", "would not"), ("couldn't", "could not"), ("shouldn't", "should not"),
    ("haven't", "have not"), ("hasn't", "has not"), ("hadn't", "had not"), ("i'm", "i am"),
    ("you're", "you are"), ("we're", "we are"), ("they're", "they are"), ("he's", "he is"),
    ("she's", "she is"), ("i've", "i have"), ("we've", "we have"), ("you've", "you have"),
    ("they've", "they have"), ("i'll", "i will"), ("we'll", "we will"), ("they'll", "they will"),
    ("let's", "let us"), ("what's", "what is"), ("who's", "who is"),
]


def reverse_pairs() -> dict[str, set[str]]:
    """spun phrase -> originals it may stand for."""
    out: dict[str, set[str]] = {}
    for a, b in PAIRS:
        if a != b:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return out
