"""The local executor: the driver reads and writes, worker processes parse and check.

With one worker there is no process boundary: the driver checks the batches itself.

With several, the driver starts one clean process (spawn: the driver may already run pyarrow or tqdm
threads, which fork does not copy safely). That process loads the checker once, freezes it out of the
garbage collector's reach (`gc.freeze`), and forks the other workers, so every worker starts with the
same loaded, warmed checker (and the lexicon's per-machine store of phrase candidates, lexicon.warm)
and shares its read-only pages copy-on-write instead of each loading a private copy; then it works as
the first worker itself. Each worker adds the phrases it had to compute to that store when it ends. (A neural scorer, whose torch thread pools
must not cross a fork, or an index, whose SQLite connection must not, is loaded by each worker after
the fork instead.)

Workers pull batches from one task queue as they become free, so a slow batch never holds up the
others; the driver sends raw input lines (the workers parse them), puts results back in input order,
and keeps at most `in_flight_per_worker * workers` batches out, so memory is bounded by the batch size
whatever the input size. Each worker watches its parent and exits if the run is abandoned; the driver
watches each worker and stops with an error if one dies.
"""
from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
import os
import queue
import signal
import traceback
from typing import Iterable, Iterator

from .io import Item
from .steps import CheckStep, ReadStep, Shard

PRELOAD_MODELS = ("default", "ngram")  # loaded once before the fork: no threads, no open files to share
POLL_SECONDS = 0.5


def batched(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


class WorkerDied(RuntimeError):
    pass


def _limit_threads() -> None:
    # one BLAS/OpenMP thread per worker: N workers x N spinning BLAS threads would fight over the cores
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _serve(check: CheckStep, tasks, results, parent: int) -> bool:
    """Check batches from `tasks` until the end marker (True), or until the parent is gone (False)."""
    check.checker  # loaded before the fork (shared), or now
    while True:
        try:
            task = tasks.get(timeout=POLL_SECONDS)
        except queue.Empty:
            task = ()
        if os.getppid() != parent:  # the driver (or the first worker) died: nobody will read our results
            results.cancel_join_thread()
            return False
        if task is None:
            _save_lexicon()
            return True
        if task == ():
            continue
        seq, batch = task
        try:
            results.put((seq, check.run_batch(check.parse_batch(batch)), None))
        except Exception:
            results.put((seq, None, traceback.format_exc()))
            return True


def _save_lexicon() -> None:
    """Add the phrases this worker had to compute to the per-machine lexicon store (a forked worker
    leaves without running atexit handlers)."""
    from ..lexicon.warm import flush_all

    flush_all()


def _forked_worker(k: int, check: CheckStep, tasks, results, alive: list) -> None:
    for j, conn in enumerate(alive):
        if j != k:
            conn.close()  # keep only our own end open: its EOF tells the driver we are gone
    _serve(check, tasks, results, os.getppid())


def _first_worker(check: CheckStep, workers: int, tasks, results, alive: list) -> None:
    """Runs in the spawned process: load (maybe), fork the other workers, then serve as worker 0."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle; it stops us
    os.setpgrp()  # one process group for all workers, so an abandoned run can end them at once
    _limit_threads()
    if check.model in PRELOAD_MODELS and check.index is None:
        lexicon = getattr(check.checker, "lexicon", None)
        if lexicon is not None:
            lexicon.preload()  # the per-machine lexicon store (lexicon.warm), shared by the workers
        gc.collect()
        gc.freeze()  # the loaded checker is never collected: keep the collector from writing to its pages
    fork = mp.get_context("fork")
    children = [fork.Process(target=_forked_worker, args=(k, check, tasks, results, alive), daemon=True)
                for k in range(1, workers)]
    for child in children:
        child.start()
    for conn in alive[1:]:
        conn.close()
    served = False
    try:
        served = _serve(check, tasks, results, os.getppid())
    finally:
        for child in children:
            if not served:  # the driver is gone: the others need not finish their batches
                child.terminate()
            child.join()


class LocalExecutor:
    def __init__(self, workers: int = 1, in_flight_per_worker: int = 4):
        self.workers = max(1, int(workers))
        self.in_flight = self.workers * in_flight_per_worker

    def run(self, shards: list[Shard], read: ReadStep, check: CheckStep, batch_size: int) -> Iterator[list[Item]]:
        """Checked batches, in input order."""
        if self.workers == 1:  # no pool: nothing to gain from a process boundary
            batches = batched(read.run(shards), batch_size)
            check.checker
            for batch in batches:
                yield check.run_batch(batch)
            return
        yield from self._run_pool(batched(read.run(shards, raw=True), batch_size), check)

    def _run_pool(self, batches: Iterator[list[Item]], check: CheckStep) -> Iterator[list[Item]]:
        ctx = mp.get_context("spawn")
        tasks, results = ctx.Queue(), ctx.Queue()
        pipes = [ctx.Pipe(duplex=False) for _ in range(self.workers)]  # EOF on [k][0] when worker k is gone
        first = ctx.Process(target=_first_worker, args=(check, self.workers, tasks, results, [w for _, w in pipes]),
                            name="unspin-scan-worker", daemon=False)
        first.start()
        for _, w in pipes:
            w.close()
        watch = [r for r, _ in pipes]
        done: dict[int, list[Item]] = {}
        sent = next_out = 0
        finished = clean = False
        try:
            while True:
                while not finished and sent - next_out < self.in_flight:
                    batch = next(batches, None)
                    if batch is None:
                        finished = True
                        break
                    tasks.put((sent, batch))
                    sent += 1
                if next_out == sent and finished:
                    break
                while next_out not in done:
                    seq, items, error = self._get(results, watch)
                    if error is not None:
                        raise RuntimeError(f"scan worker failed:\n{error}")
                    done[seq] = items
                yield done.pop(next_out)
                next_out += 1
            for _ in range(self.workers):
                tasks.put(None)
            first.join()
            clean = True
        finally:
            if not clean:
                self._stop(first)
            tasks.close()
            results.close()
            for r in watch:
                r.close()

    @staticmethod
    def _get(results, watch):
        while True:
            try:
                return results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                for r in watch:
                    if r.poll(0):  # EOF: the worker holding the other end has exited mid-run
                        raise WorkerDied("a scan worker died (killed, or out of memory?); completed shards "
                                         "are kept, rerun to resume") from None

    @staticmethod
    def _stop(first) -> None:
        """Abandoned run (an error, Ctrl-C): end every worker now; nothing they still do would be written."""
        try:
            os.killpg(first.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            first.terminate()
        first.join(timeout=5)
