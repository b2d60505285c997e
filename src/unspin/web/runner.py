"""Run blocking model calls off the event loop, with a timeout and a bound on queued work.

A Python thread cannot be killed, so a call that times out keeps its worker until it finishes; it is
still counted as in flight, and once `max_pending` calls are in flight new ones get 503 at once instead
of piling up behind them.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..checker import InputTooLarge
from .errors import ApiError

log = logging.getLogger("unspin.web")


class Runner:
    def __init__(self, workers: int = 2, timeout: float = 30.0, max_pending: int = 64):
        self.timeout = timeout
        self.max_pending = max_pending
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="unspin-web")
        self._lock = threading.Lock()
        self.in_flight = 0

    def _done(self, _future) -> None:
        with self._lock:
            self.in_flight -= 1

    async def run(self, fn: Callable[..., Any], *args: Any, what: str = "the request") -> Any:
        with self._lock:
            if self.in_flight >= self.max_pending:
                raise ApiError(503, f"{self.in_flight} requests are already being processed; retry shortly")
            self.in_flight += 1
        future = self.pool.submit(fn, *args)
        future.add_done_callback(self._done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except asyncio.TimeoutError:
            future.cancel()  # drops it if still queued; a running call finishes in the background
            raise ApiError(504, f"{what} took longer than {self.timeout:g} s; try a shorter text") from None
        except InputTooLarge as e:
            raise ApiError(413, str(e), "text too long") from None
        except ApiError:
            raise
        except Exception:
            log.exception("%s failed", what)
            raise ApiError(500, f"{what} failed on the server; the error has been logged") from None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
