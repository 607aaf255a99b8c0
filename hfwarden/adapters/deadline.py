"""A deadline on a whole outbound HTTP request, not on each read, and a stop that cuts it short.

httpx's timeouts bound each socket operation: an answer dripped one byte every 2 s never times out,
and a pass (and SIGTERM, which waits for the pass) waits for it. Here the socket operations of a
request are given what is left of a deadline set for the request as a whole, on the calling thread
(`request_deadline`), and reads are sliced so that a stop is seen soon: a request is given
STOP_GRACE_S to finish (at most STOP_HARD_S after the stop), then cut.

Works for httpcore and httpcore2 alike (the Hub's client and the alert sinks' one): both call the
network backend with `(max_bytes, timeout)` reads and raise their own ReadTimeout.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpcore
import httpx

from hfwarden.adapters.hub_errors import Deferred

# How often a read waiting for data looks at the stop event.
SLICE_S = 0.25
# After a stop, a request has this long to finish from the stop or from its own start, whichever is
# later (an action the executor started just inside its own 4 s grace completes and is recorded), and
# never past STOP_HARD_S after the stop: SIGTERM must end the process within 10 s.
STOP_GRACE_S = 4.0
STOP_HARD_S = 8.0
_local = threading.local()


# When each stop event was first seen set: the grace runs from then for every request, so that requests
# started after the stop (the rest of the pass) do not each get a grace of their own.
_stops_seen: weakref.WeakKeyDictionary[threading.Event, float] = weakref.WeakKeyDictionary()
_stops_lock = threading.Lock()


@dataclass
class _Limit:
    until: float  # time.monotonic()
    stop: threading.Event | None
    started: float = field(default_factory=time.monotonic)

    def stopped(self) -> bool:
        """Whether the stop's grace is over for this request."""
        if self.stop is None or not self.stop.is_set():
            return False
        now = time.monotonic()
        with _stops_lock:
            seen = _stops_seen.setdefault(self.stop, now)
        return now >= min(seen + STOP_HARD_S, max(seen, self.started) + STOP_GRACE_S)


@contextmanager
def request_deadline(seconds: float, stop: threading.Event | None = None) -> Iterator[None]:
    """Every request this thread sends inside the block ends within `seconds` (the block's whole time,
    not each request's) or when `stop` is set."""
    previous: _Limit | None = getattr(_local, "limit", None)
    until = time.monotonic() + max(0.0, seconds)
    if previous is not None:
        until = min(until, previous.until)
    _local.limit = _Limit(until, stop)
    try:
        yield
    finally:
        _local.limit = previous


def _left() -> tuple[float | None, _Limit | None]:
    limit: _Limit | None = getattr(_local, "limit", None)
    if limit is None:
        return None, None
    return limit.until - time.monotonic(), limit


def left_of_request() -> tuple[float | None, bool]:
    """Seconds left of this thread's request deadline (None: no deadline) and whether a stop has ended
    it (`wire.py`'s transport, which has no httpcore backend to wrap)."""
    left, limit = _left()
    return left, limit is not None and limit.stopped()


class _Errors:
    """The exception classes of one httpcore flavour."""

    def __init__(self, module: Any) -> None:
        self.connect_timeout: type[Exception] = module.ConnectTimeout
        self.read_timeout: type[Exception] = module.ReadTimeout
        self.write_timeout: type[Exception] = module.WriteTimeout
        self.read_error: type[Exception] = module.ReadError


def _bounded(timeout: float | None, error: type[Exception], what: str) -> float | None:
    """`timeout` cut to what is left of the deadline; raises `error` when nothing is left."""
    left, _limit = _left()
    if left is None:
        return timeout
    if left <= 0:
        raise error(f"{what}: the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream:
    """A network stream whose operations share their request's deadline."""

    def __init__(self, inner: Any, errors: _Errors) -> None:
        self._inner = inner
        self._errors = errors

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        read_until = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _bounded(None, self._errors.read_timeout, "read")
            if read_until is not None:
                this_read = read_until - time.monotonic()
                if this_read <= 0:
                    raise self._errors.read_timeout("read: timed out")
                left = this_read if left is None else min(left, this_read)
            try:
                return bytes(self._inner.read(max_bytes, SLICE_S if left is None else min(SLICE_S, left)))
            except self._errors.read_timeout:
                # Nothing came in a slice (a timed-out recv loses no data). A stop ends the wait; an answer
                # that keeps coming is still read to its end, or to the deadline.
                _, limit = _left()
                if limit is not None and limit.stopped():
                    raise self._errors.read_timeout("read: stopping") from None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, self._errors.write_timeout, "write"))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        bounded = _bounded(timeout, self._errors.connect_timeout, "tls")
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded), self._errors)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend:
    """The default synchronous network backend, with every stream a DeadlineStream."""

    def __init__(self, module: Any) -> None:
        self._inner = module.SyncBackend()
        self._errors = _Errors(module)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> DeadlineStream:
        bounded = _bounded(timeout, self._errors.connect_timeout, "connect")
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return DeadlineStream(stream, self._errors)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> DeadlineStream:
        bounded = _bounded(timeout, self._errors.connect_timeout, "connect")
        return DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options), self._errors)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def with_deadlines(transport: Any, module: Any) -> Any:
    """`transport` (an httpx or httpx2 HTTPTransport) with its connections made by a DeadlineBackend.

    The transports take no backend argument, so the pool's is replaced; checked, so that a library
    upgrade that moves it fails loudly at start-up instead of silently losing the deadlines."""
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version keeps its connection pool elsewhere: request deadlines unavailable")
    pool._network_backend = DeadlineBackend(module)
    return transport


def deadlines_everywhere(client: Any, module: Any) -> Any:
    """`client` (an httpx or httpx2 Client) with every transport it may use given DeadlineBackends: the
    direct one and one per proxy httpx mounted from the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
    `ALL_PROXY`, `NO_PROXY`, as httpx reads them). Tunnels (CONNECT) and TLS through a proxy use
    the proxy pool's backend too.

    Not `Client(transport=...)`: httpx then ignores the proxy variables altogether, so a daemon that
    must go through a proxy could not reach the API (issue 18, round two)."""
    transports = getattr(client, "_mounts", None)
    if transports is None or not hasattr(client, "_transport"):
        raise RuntimeError("this httpx version keeps its transports elsewhere: request deadlines unavailable")
    for transport in (client._transport, *transports.values()):
        if transport is not None:  # None: a NO_PROXY host, sent through the direct transport
            with_deadlines(transport, module)
    return client


def deadline_client(timeout_seconds: float) -> httpx.Client:
    """An httpx client with per-operation timeouts whose requests also keep to `request_deadline`,
    proxied as the environment says."""
    return deadlines_everywhere(httpx.Client(timeout=timeout_seconds), httpcore)  # type: ignore[no-any-return]


def get_within(url: str, seconds: float) -> httpx.Response:
    """GET `url`, the whole request within `seconds`."""
    with deadline_client(seconds) as client, request_deadline(seconds):
        return client.get(url)


T = TypeVar("T")


class HubDeadlines:
    """The Hub's deadlines: on each request as a whole, and on the pass (calls not started in time are
    Deferred to the next pass)."""

    _request_deadline_s: float
    _pass_deadline: float | None
    _cancel: threading.Event

    def begin_pass(self, deadline: float | None) -> None:
        """Calls (and retries) not started by `deadline` (a `time.monotonic()` instant) fail as Deferred:
        what is left of a pass goes to the next one. None: no deadline (one-off commands)."""
        self._pass_deadline = deadline

    def _attempt(self, operation: str, target: str, fn: Callable[[], T]) -> T:
        """One request, ended by its deadline (or the pass's, or a stop) whatever the server does."""
        allowed = self._request_deadline_s
        if self._pass_deadline is not None:
            left = self._pass_deadline - time.monotonic()
            if left <= 0:
                raise Deferred(f"{operation} {target}: the pass's deadline passed; left for the next pass")
            allowed = min(allowed, left)
        with request_deadline(allowed, self._cancel):
            return fn()

    def _within_pass(self, wait: float) -> float:
        """A back-off never waits past the pass's deadline (the attempt after it is then deferred)."""
        if self._pass_deadline is None:
            return wait
        return max(0.0, min(wait, self._pass_deadline - time.monotonic()))
