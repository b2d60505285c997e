"""The n-gram LM read into numpy arrays answers exactly like pocketsphinx's own `NGramModel.prob`."""
import os

import numpy as np
import pytest

pocketsphinx = pytest.importorskip("pocketsphinx")

from unspin.lm.ngram import LOG_BASE, OOV_LOGP, NgramScorer


@pytest.fixture(scope="module")
def reference():
    pocketsphinx.set_loglevel("FATAL")
    path = os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")
    return pocketsphinx.NGramModel.readfile(path)


@pytest.fixture(scope="module")
def scorer():
    return NgramScorer.default()


def _queries(scorer, n=4000, seed=0):
    """Word triples that reach every branch of the back-off: stored trigrams, stored bigrams with any
    history, random words, sentence starts, unknown words and case variants."""
    rng = np.random.default_rng(seed)
    lm = scorer.lm
    inv = {i: w for w, i in lm.vocab.items()}
    n1 = lm.n_words
    tri_keys = lm.tri.keys[lm.tri.keys >= 0]
    bi_keys = lm.bi.keys[lm.bi.keys >= 0]
    tri = tri_keys[rng.integers(0, len(tri_keys), n // 4)]
    bi = bi_keys[rng.integers(0, len(bi_keys), n // 4)]
    rand = rng.integers(0, n1, (n // 4, 3))
    odd_words = ["<s>", "</s>", "zzqxj", "The", "SAID", "naïve", "it's", "don’t", "", "'s"]
    triples = [(inv[t // n1 // n1], inv[t // n1 % n1], inv[t % n1]) for t in tri]
    triples += [(inv[b // n1], inv[b % n1], inv[int(h)]) for b, h in zip(bi, rng.integers(0, n1, len(bi)))]
    triples += [tuple(inv[int(x)] for x in row) for row in rand]
    for _ in range(n - len(triples)):
        triples.append(tuple(str(rng.choice(odd_words)) if rng.random() < 0.4 else inv[int(rng.integers(0, n1))]
                             for _ in range(3)))
    return triples


@pytest.mark.parametrize("shortcut", [True, False])
def test_raw_scores_equal_pocketsphinx(reference, scorer, shortcut, monkeypatch):
    assert scorer.lm.contexts_complete  # the CMU model has the context bigram of every trigram
    monkeypatch.setattr(scorer.lm, "contexts_complete", shortcut)
    triples = _queries(scorer)
    ids = np.array([scorer.lm.ids(t) for t in triples])
    got = scorer.lm.raw(ids[:, 0], ids[:, 1], ids[:, 2])
    want = np.array([reference.prob(list(t)) for t in triples])
    assert (got == want).all(), [(t, g, w) for t, g, w in zip(triples, got, want) if g != w][:5]


def test_entries_pocketsphinx_cannot_find_are_backed_off(reference, scorer):
    """Two trigram ranges of the CMU model are not sorted: pocketsphinx's interpolation search misses
    an entry in each and backs off; the arrays must do the same."""
    assert scorer.lm.a["hidden"].tolist() == [0, 2]
    for q in (["bullhorns", "and", "whips"], ["jerri", "and", "coach"]):
        ids = scorer.lm.ids(q)
        assert scorer.lm.raw(ids[:1], ids[1:2], ids[2:]).tolist() == [reference.prob(q)]


def _old_score(reference, left, candidates, right):
    """The scalar definition the shipped models were trained with (pocketsphinx, one query at a time)."""
    def logp(w, h1, h2):
        raw = reference.prob([w, h1, h2])
        return OOV_LOGP if raw < -400_000 else raw * LOG_BASE

    lw = ["<s>", "<s>"] + NgramScorer._words(left, False)
    rw = NgramScorer._words(right, True)
    out = []
    for c in candidates:
        seq = lw[-2:] + [w.lower().replace("’", "'") for w in c] + rw
        out.append(sum(logp(seq[k], seq[k - 1], seq[k - 2]) for k in range(2, len(seq))))
    return out


def test_score_batch_equals_the_scalar_definition(reference, scorer):
    queries = [
        (["The", "minister"], [("stated",), ("said",), ("declared", "that")], ["on", "Thursday"]),
        (["."], [("Officials",), ("zzqxj", "mentioned")], [",", "masses", "of"]),
        ([], [("It’s",), ("it", "is")], ["here", ";", "now"]),
        (["said", ":", "we"], [("will",)], []),
        (["a", "b", ",", "c", "d"], [("e",), ("f", "g", "h", "i", "j")], ["!"]),
    ]
    got = scorer.score_batch(queries)
    for q, g in zip(queries, got):
        want = _old_score(reference, *q)
        assert len(g) == len(want)
        assert g == want, (q, g, want)  # bit for bit: the same terms added in the same order
