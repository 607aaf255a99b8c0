"""The Hub client's direct HTTP/1.1 transport: httpx2's Client on the standard library's `http.client`.

huggingface_hub builds every request and reads every answer (URL, headers, JSON, `hf_raise_for_status`);
this module only carries the bytes. httpcore2 and h11 cost about twice the client CPU of `http.client`
per call (`bench/transitions_at_scale.py`: 1,000 pauses due in one minute are bound by that CPU), so
direct connections use this transport and proxied ones keep httpx2's own (`configure_client`).

Each thread keeps one connection per origin (the call threads of a pass run in parallel), reused while
the server keeps it open and for at most KEEPALIVE_S idle. The request's deadline (`deadline.py`) bounds
connecting, sending and every read; reads are sliced so that a stop is seen within SLICE_S.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
import time
from typing import Any

import httpx2

from hfwarden.adapters.deadline import SLICE_S, left_of_request

# An idle connection older than this is closed rather than reused (httpx's keep-alive expiry): a server
# closing it at the same moment would fail the request sent on it.
KEEPALIVE_S = 5.0


class _Expired(TimeoutError):
    """The request's deadline passed, or a stop cut it short."""


def _bounded(timeout: float | None, what: str) -> float | None:
    """`timeout` cut to what is left of the request's deadline; raises when nothing is left."""
    left, stopped = left_of_request()
    if stopped:
        raise _Expired(f"{what}: stopping")
    if left is None:
        return timeout
    if left <= 0:
        raise _Expired(f"{what}: the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _SlicedReader(io.RawIOBase):
    """A socket's reading side whose waits keep to the request's deadline, a slice at a time: a timed-out
    `recv_into` loses no data, unlike `socket.makefile`'s reader, which is unusable after a timeout."""

    def __init__(self, sock: socket.socket, read_timeout: float | None) -> None:
        self._sock = sock
        self._read_timeout = read_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        read_until = None if self._read_timeout is None else time.monotonic() + self._read_timeout
        while True:
            left = _bounded(None, "read")
            if read_until is not None:
                this_read = read_until - time.monotonic()
                if this_read <= 0:
                    raise TimeoutError("read: timed out")
                left = this_read if left is None else min(left, this_read)
            self._sock.settimeout(SLICE_S if left is None else min(SLICE_S, left))
            try:
                return self._sock.recv_into(buffer)
            except TimeoutError:
                continue  # nothing in this slice: look at the deadline and the stop again


class _DeadlineSocket:
    """What `http.client` needs of a socket, with sends bounded by the deadline and reads sliced."""

    def __init__(self, sock: socket.socket, timeouts: dict[str, float | None]) -> None:
        self.sock = sock
        self._timeouts = timeouts

    def sendall(self, data: Any) -> None:
        self.sock.settimeout(_bounded(self._timeouts.get("write"), "write"))
        self.sock.sendall(data)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_SlicedReader(self.sock, self._timeouts.get("read")))

    def close(self) -> None:
        self.sock.close()


class _Connection(http.client.HTTPConnection):
    """One keep-alive connection; connects within the deadline, TLS included."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        super().__init__(host, port)
        self._tls = tls
        self.timeouts: dict[str, float | None] = {}
        self.last_used = time.monotonic()

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), _bounded(self.timeouts.get("connect"), "connect"))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            raw.settimeout(_bounded(self.timeouts.get("connect"), "tls"))
            raw = self._tls.wrap_socket(raw, server_hostname=self.host)
        self.sock = _DeadlineSocket(raw, self.timeouts)

    def still_open(self) -> bool:
        """Whether a kept connection can carry another request: not idle too long, and nothing (a close,
        stray bytes) waiting to be read on it."""
        sock = getattr(self.sock, "sock", None)
        if sock is None:
            return False
        if time.monotonic() - self.last_used > KEEPALIVE_S:
            return False
        readable, _, _ = select.select([sock], [], [], 0)
        return not readable


# A kept connection found closed when the request went out on it, before any answer.
_CLOSED_BEFORE_ANSWERING = (http.client.RemoteDisconnected, BrokenPipeError)

_ERRORS: tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...] = (
    (_Expired, httpx2.ReadTimeout),
    (http.client.RemoteDisconnected, httpx2.RemoteProtocolError),
    (http.client.HTTPException, httpx2.RemoteProtocolError),
    (ssl.SSLError, httpx2.ConnectError),
    (ConnectionRefusedError, httpx2.ConnectError),
    (socket.gaierror, httpx2.ConnectError),
    (OSError, httpx2.ReadError),
)


class DirectTransport(httpx2.BaseTransport):
    """HTTP/1.1 straight to the origin, one kept connection per thread and origin."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        self._local = threading.local()
        self._all: list[_Connection] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        tls = url.scheme == "https"
        origin = (url.scheme, url.host, url.port or (443 if tls else 80))
        body = request.read()
        for attempt in (1, 2):
            connection = self._connection(origin, tls)
            connection.timeouts = dict(request.extensions.get("timeout", {}))
            reused = connection.sock is not None
            connecting = not reused
            try:
                if connecting:
                    connection.connect()
                    connecting = False
                connection.putrequest(
                    request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True
                )
                for name, value in request.headers.raw:
                    connection.putheader(name, value)
                connection.endheaders(body or None)
                answer = connection.getresponse()
                content = answer.read()
                break
            except Exception as exc:
                self._drop(origin, connection)
                if reused and attempt == 1 and isinstance(exc, _CLOSED_BEFORE_ANSWERING):
                    # The server closed the kept connection as the request went out (its idle timeout met
                    # ours): nothing was answered, so the request goes once more on a new connection.
                    continue
                mapped = _mapped(exc, request, connecting=connecting)
                if mapped is exc:
                    raise
                raise mapped from exc
        connection.last_used = time.monotonic()
        if answer.will_close:
            self._drop(origin, connection)
        return httpx2.Response(
            answer.status,
            # The bytes as they came (http.client decodes them as Latin-1): a header httpx2 could not
            # encode back to ASCII would otherwise fail an answer httpcore2 takes.
            headers=[(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.getheaders()],
            stream=httpx2.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1")},
        )

    def _connection(self, origin: tuple[str, str, int], tls: bool) -> _Connection:
        kept: dict[tuple[str, str, int], _Connection] = self._local.__dict__.setdefault("connections", {})
        connection = kept.get(origin)
        if connection is not None and connection.sock is not None and not connection.still_open():
            self._drop(origin, connection)
            connection = None
        if connection is None:
            connection = _Connection(origin[1], origin[2], self._ssl_context if tls else None)
            kept[origin] = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def _drop(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        connection.close()
        kept: dict[tuple[str, str, int], _Connection] = self._local.__dict__.get("connections", {})
        if kept.get(origin) is connection:
            del kept[origin]
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)

    def close(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()


def _mapped(exc: Exception, request: httpx2.Request, *, connecting: bool) -> Exception:
    """httpx2's exception for what `http.client` or the socket raised, as httpx2's own transport maps
    httpcore's (the Hub retries transport errors, not the standard library's)."""
    if isinstance(exc, TimeoutError) and not isinstance(exc, _Expired):
        kind: type[httpx2.TransportError] = httpx2.ConnectTimeout if connecting else httpx2.ReadTimeout
        return kind(str(exc) or "timed out", request=request)
    if connecting and isinstance(exc, _Expired):
        return httpx2.ConnectTimeout(str(exc), request=request)
    for raised, kind in _ERRORS:
        if isinstance(exc, raised):
            if connecting and kind is httpx2.ReadError:
                kind = httpx2.ConnectError
            return kind(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, request=request)
    return exc


def with_direct_transport(client: httpx2.Client) -> httpx2.Client:
    """`client` with its direct transport (the one httpx2 uses for every host no proxy takes) replaced
    by a DirectTransport verifying TLS as httpx2 would. Proxied routes (`client._mounts`) keep httpx2's
    transports. Checked like `deadlines_everywhere`: an httpx2 that moves its transport fails loudly."""
    if not isinstance(getattr(client, "_transport", None), httpx2.BaseTransport):
        raise RuntimeError("this httpx2 version keeps its transport elsewhere: the direct transport unavailable")
    client._transport.close()
    client._transport = DirectTransport(httpx2.create_ssl_context(verify=True, trust_env=True))
    return client
