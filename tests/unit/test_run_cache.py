"""The cache of run rows never serves a run after its deletion, whatever the timing."""

from __future__ import annotations

from claims_recon.engine.run_cache import RunCache


def test_a_row_is_served_until_its_run_is_forgotten():
    cache = RunCache()
    cache.put(1, ("run 1",), cache.generation)
    cache.put(2, ("run 2",), cache.generation)
    assert cache.get(1) == ("run 1",)
    cache.forget(1)
    assert cache.get(1) is None
    assert cache.get(2) == ("run 2",)


def test_a_row_read_before_a_deletion_committed_is_not_kept():
    cache = RunCache()
    generation = cache.generation  # a reader starts; its read sees run 1 still there
    cache.forget(1)  # meanwhile run 1's deletion commits
    cache.put(1, ("run 1",), generation)  # the reader's row arrives late
    assert cache.get(1) is None
    cache.put(1, ("run 1",), cache.generation)  # a read after the deletion is kept
    assert cache.get(1) == ("run 1",)


def test_the_least_recently_used_rows_go_first():
    cache = RunCache(max_runs=2)
    for run_id in (1, 2):
        cache.put(run_id, (run_id,), cache.generation)
    assert cache.get(1) == (1,)
    cache.put(3, (3,), cache.generation)
    assert (cache.get(1), cache.get(2), cache.get(3)) == ((1,), None, (3,))
