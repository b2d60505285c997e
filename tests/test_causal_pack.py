"""Packing of a query's windows into one row (no torch needed)."""
from unspin.lm.causal import _pack


def test_pack_shares_the_common_prefix_and_keeps_each_windows_positions():
    p = _pack([[1, 5, 6, 7], [1, 5, 8], [1, 5, 6]])
    assert p.tokens == [1, 5, 6, 7, 8, 6]
    assert p.positions == [0, 1, 2, 3, 2, 2]
    assert p.segments == [0, 0, 1, 1, 2, 3]
    # (position whose output predicts, token, window or -1 for the shared prefix)
    assert p.targets == [(0, 5, -1), (1, 6, 0), (2, 7, 0), (1, 8, 1), (1, 6, 2)]


def test_pack_a_window_equal_to_the_prefix_and_no_common_prefix():
    p = _pack([[1, 5], [1, 5, 6]])
    assert p.tokens == [1, 5, 6] and p.targets == [(0, 5, -1), (1, 6, 1)]
    p = _pack([[4, 5], [6, 7]])  # no BOS and different first tokens: each first token is given, not scored
    assert p.tokens == [4, 5, 6, 7] and p.positions == [0, 1, 0, 1]
    assert p.targets == [(0, 5, 0), (2, 7, 1)]


def test_first_fit_fills_rows_longest_first():
    from unspin.lm.causal import _first_fit

    assert _first_fit([30, 10, 40, 20, 0], 50) == [[2, 1], [0, 3]]
    assert _first_fit([60], 50) == [[0]]  # a group longer than the width still gets its own row
