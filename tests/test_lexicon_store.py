"""The per-machine lexicon store (lexicon.warm) gives exactly what computing gives."""
import os
import random

import numpy as np
import pytest

from unspin.features import static_features
from unspin.lexicon import Lexicon
from unspin.lexicon import frequency
from unspin.lexicon.warm import Store, default_store, store_key


def _phrases(lex: Lexicon) -> list[str]:
    rng = random.Random(7)
    keys = sorted(lex.thesaurus.table)
    picked = rng.sample(keys, 400)
    fixed = ["stated", "transferring", "read", "moved", "subsequent", "individuals", "masses of", "a lot of",
             "due to", "in order to", "it is", "didn't", "has to", "the", "of the", "xyzzy", "42", "paris",
             "the minister stated", "would alternate the coverage", "consistent with", "press release"]
    return fixed + picked + [k.split(" ")[0] + "s" for k in picked[:100]] + sorted(lex.phrase_table)[:60] \
        + sorted(lex.grammar)[:40]


@pytest.fixture
def computed_lexicon():
    lex = Lexicon()
    lex._store = None  # the computed path only
    return lex


def test_stored_candidates_and_features_equal_computed(tmp_path, computed_lexicon):
    path = tmp_path / "lexicon.marshal"
    writer = Lexicon()
    writer._store = Store(path)
    phrases = _phrases(computed_lexicon)
    for p in phrases:
        writer.candidates(p)
    assert writer._store.flush() == len(set(phrases))

    reader = Lexicon()
    reader._store = Store(path)
    reader._store.load()
    n_stored = 0
    for p in phrases:
        from_store = reader._store.phrases.get(p) is not None
        got = reader.candidates(p)
        want = computed_lexicon.candidates(p)
        n_stored += from_store
        assert got == want and [type(c) for c in got] == [type(c) for c in want], p
        if want:
            a, b = reader.static(p, got), static_features(want)
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), p
    assert n_stored == len(phrases)
    assert not reader._store.new  # nothing had to be computed


def test_stored_zipf_values_are_wordfreq_values(tmp_path):
    from wordfreq import zipf_frequency

    store = Store(tmp_path / "lexicon.marshal")
    lex = Lexicon()
    lex._store = store
    for w in ("unwavering", "minister", "qwxz", "isn't"):
        frequency.zipf(w)
        lex.candidates(w)
    store.flush()
    again = Store(store.path)
    again.load()
    assert again.zipf and all(v == zipf_frequency(w, "en") for w, v in again.zipf.items())


def test_store_merges_what_several_processes_add(tmp_path):
    path = tmp_path / "lexicon.marshal"
    for words in (["stated", "moved"], ["moved", "subsequent"]):
        lex = Lexicon()
        lex._store = Store(path)
        for w in words:
            lex.candidates(w)
        lex._store.flush()
    store = Store(path)
    store.load()
    assert set(store.phrases) == {"stated", "moved", "subsequent"}


def test_missing_or_unwritable_store_only_costs_speed(tmp_path, computed_lexicon):
    blocked = tmp_path / "file"
    blocked.write_text("not a dir")
    for path in (blocked / "sub" / "lexicon.marshal", None):
        lex = Lexicon()
        lex._store = Store(path)
        assert lex.candidates("stated") == computed_lexicon.candidates("stated")
        assert lex._store.flush() == 0
    corrupt = tmp_path / "corrupt.marshal"
    corrupt.write_bytes(b"\x00garbage")
    lex = Lexicon()
    lex._store = Store(corrupt)
    assert lex.candidates("moved") == computed_lexicon.candidates("moved")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_read_only_cache_dir(tmp_path, computed_lexicon):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    lex = Lexicon()
    lex._store = Store(ro / "lexicon.marshal")
    assert lex.candidates("stated") == computed_lexicon.candidates("stated")
    assert lex._store.flush() == 0


def test_store_is_keyed_and_can_be_turned_off(monkeypatch):
    assert store_key(20) != store_key(10)
    monkeypatch.setenv("UNSPIN_LEXICON_STORE", "0")
    assert default_store(20) is None
    assert Lexicon()._store is None
    monkeypatch.setenv("UNSPIN_LEXICON_STORE", "ro")
    assert default_store(20).write is False
    monkeypatch.delenv("UNSPIN_LEXICON_STORE")
    assert Lexicon(phrase_table={})._store is None  # only the shipped tables are stored


def test_static_features_are_rows_of_static_row(computed_lexicon):
    cands = computed_lexicon.candidates("stated")
    assert isinstance(static_features(cands), np.ndarray) and static_features(cands).shape[0] == len(cands)


def test_may_find_is_false_only_when_lookup_finds_nothing(computed_lexicon):
    th = computed_lexicon.thesaurus
    rng = random.Random(3)
    multi = [k for k in sorted(th.table) if " " in k]
    words = sorted({w for k in multi for w in k.split(" ")})
    phrases = rng.sample(multi, 300)
    for k in rng.sample(multi, 600):  # keys with the head word inflected or replaced
        w = k.split(" ")
        for i in (0, len(w) - 1):
            for form in (w[i] + "s", w[i] + "ed", w[i] + "ing", rng.choice(words)):
                phrases.append(" ".join(w[:i] + [form] + w[i + 1:]))
    phrases += [" ".join(rng.sample(words, n)) for n in (2, 3) for _ in range(300)]
    rejected = 0
    for p in phrases:
        if not th.may_find(p):
            rejected += 1
            assert th.lookup(p) == (), p
    assert rejected > 100


def test_a_new_store_removes_what_older_keys_left_in_the_cache_dir(tmp_path):
    for name in ("lexicon-v3-old.marshal", "lexicon-v3-old.lock", "lexicon-v2-older.marshal", "thesaurus-v2-x.marshal"):
        (tmp_path / name).write_bytes(b"stale")
    (tmp_path / "trigram-v4-x").mkdir()
    store = Store(tmp_path / "lexicon-v3-new.marshal", stale_prefix="lexicon-v")
    store.add("stated", Lexicon().candidates("stated"))
    assert store.flush() == 1
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["lexicon-v3-new.lock", "lexicon-v3-new.marshal", "thesaurus-v2-x.marshal", "trigram-v4-x"]
    (tmp_path / "lexicon-v3-other.marshal").write_bytes(b"written by another version meanwhile")
    store.add("moved", Lexicon().candidates("moved"))
    store.flush()  # updating an existing store removes nothing
    assert (tmp_path / "lexicon-v3-other.marshal").exists()


def test_remove_stale_keeps_the_current_entry_and_its_companions(tmp_path):
    from unspin.cachefiles import remove_stale

    current = tmp_path / "trigram-v5-1-np2"
    current.mkdir()
    (tmp_path / "trigram-v5-1-np2.123.tmp").mkdir()  # another process building the same key
    (tmp_path / "trigram-v4-1-np2").mkdir()
    (tmp_path / "trigram-v4-1-np2" / "bi_keys.npy").write_bytes(b"x")
    (tmp_path / "smollm2-135m-9").mkdir()
    assert remove_stale(current, "trigram-v") == ["trigram-v4-1-np2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smollm2-135m-9", "trigram-v5-1-np2", "trigram-v5-1-np2.123.tmp"]


def test_cache_keys_follow_content_not_mtime(tmp_path):
    """Two checkouts of the same data share their caches (keyed by mtime, each removed the other's);
    a rebuilt data file gets a new key."""
    import os

    from unspin.cachefiles import fingerprint

    data = bytes(range(256)) * 1024  # 256 KiB: head and tail samples do not overlap
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    a.write_bytes(data)
    b.write_bytes(data)
    os.utime(b, (1_000_000, 1_000_000))
    assert fingerprint(a) == fingerprint(b)
    b.write_bytes(data[:-1] + b"x")  # same size, another last byte
    assert fingerprint(a) != fingerprint(b)
    b.write_bytes(b"y" + data[1:])  # another first byte
    assert fingerprint(a) != fingerprint(b)
    b.write_bytes(data + b"z")
    assert fingerprint(a) != fingerprint(b)
    small = tmp_path / "small"
    small.write_bytes(b"tiny")
    assert fingerprint(small).startswith("4-")
