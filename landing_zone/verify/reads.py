"""Reading AWS in parallel, politely: a small thread pool, standard retries, calls counted.

One botocore client per service and region, shared by the pool's threads
(low-level clients are thread safe; creating them is not, so that is locked).
See: https://docs.aws.amazon.com/boto3/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TextIO, TypeVar

from botocore.config import Config

T = TypeVar("T")
R = TypeVar("R")

#: The standard retry mode retries throttling errors, TooManyRequestsException
#: (Organizations' answer when its request rate is exceeded) among them, with
#: exponential backoff and jitter; legacy mode (boto3's default) does not
#: retry that code. Ten attempts ride out a burst.
#: See: https://docs.aws.amazon.com/boto3/latest/guide/retries.html
#: See: https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html
RETRIES = Config(retries={"mode": "standard", "max_attempts": 10})

#: Threads reading at once. Organizations throttles per account and
#: documents no read rate to plan for (its quotas page lists "Throttling
#: limits" for a few write operations only): a handful of concurrent
#: readers keeps verify's rate near what one person's console session
#: makes, and the standard retry mode absorbs the rest.
#: See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
WORKERS = 8


class Progress:
    """``verify: 12/40 reads`` on stderr, rewritten in place; silent when not a terminal."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self.total = 0
        self.done = 0

    def add(self, count: int) -> None:
        with self._lock:
            self.total += count
            self._show()

    def advance(self) -> None:
        with self._lock:
            self.done += 1
            self._show()

    def close(self) -> None:
        if self._enabled and self.total:
            self._stream.write("\r\033[K")
            self._stream.flush()

    def _show(self) -> None:
        if self._enabled:
            self._stream.write(f"\rverify: {self.done}/{self.total} reads")
            self._stream.flush()


class Reader:
    """Clients for ``session`` with standard retries, a thread pool, and a count of calls by API."""

    def __init__(
        self, session: Any, *, workers: int = WORKERS, progress: Progress | None = None
    ) -> None:
        self._session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify")
        self.progress = progress or Progress(enabled=False)
        #: ``service:Operation`` -> calls made (a retried call counts once).
        self.calls: Counter[str] = Counter()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                client = self._session.client(service, region_name=region, config=RETRIES)
                client.meta.events.register("after-call", self._count)
                self._clients[key] = client
            return self._clients[key]

    def _count(self, event_name: str = "", **kwargs: Any) -> None:
        # after-call.<service>.<Operation>: once per call, whatever answered it.
        _, service, operation = [*event_name.split(".", 2), "", ""][:3]
        with self._lock:
            self.calls[f"{service}:{operation}"] += 1

    def submit(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """One read (a call, or a paginated listing) in the pool; never a wait on another."""
        self.progress.add(1)

        def run() -> T:
            try:
                return function(*args, **kwargs)
            finally:
                self.progress.advance()

        return self._pool.submit(run)

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``function`` over ``items`` in the pool, results in order; re-raises the first error."""
        futures = [self.submit(function, item) for item in items]
        return (future.result() for future in futures)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.progress.close()
