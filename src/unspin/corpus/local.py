"""The local executor: the driver reads and writes, worker processes run the check step.

Batches go out to a process pool and come back in order, with at most `2 * workers` batches in flight,
so memory is bounded by the batch size whatever the input size. Each worker builds its check step (and
loads the checker) once, in the pool initializer.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable, Iterator

from .io import Item
from .steps import CheckStep, ReadStep, Shard

_STEP: CheckStep | None = None


def _init_worker(step: CheckStep) -> None:
    global _STEP
    _STEP = step
    _STEP.checker  # load the model now, not inside the first batch
    # one BLAS/OpenMP thread per worker: N workers x N spinning BLAS threads would fight over the cores
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _check_batch(items: list[Item]) -> list[Item]:
    return _STEP.run_batch(items)


def batched(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


class LocalExecutor:
    def __init__(self, workers: int = 1, in_flight_per_worker: int = 2):
        self.workers = max(1, int(workers))
        self.in_flight = self.workers * in_flight_per_worker

    def run(self, shards: list[Shard], read: ReadStep, check: CheckStep, batch_size: int) -> Iterator[list[Item]]:
        """Checked batches, in input order."""
        batches = batched(read.run(shards), batch_size)
        if self.workers == 1:  # no pool: nothing to gain from a process boundary
            check.checker
            for batch in batches:
                yield check.run_batch(batch)
            return
        # spawn, not fork: the driver may already run pyarrow or tqdm threads, which fork does not copy safely
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker, initargs=(check,)) as pool:
            window: deque = deque()
            for batch in batches:
                window.append(pool.submit(_check_batch, batch))
                if len(window) >= self.in_flight:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
