"""The Hub client's direct HTTP/1.1 transport: httpx2's Client on plain sockets and httptools' parser.

huggingface_hub builds every request and reads every answer (URL, headers, JSON, `hf_raise_for_status`);
this module only carries the bytes. 1,000 pauses due in one minute are bound by the client's CPU
(`bench/transitions_at_scale.py`): httpcore2 and h11 cost about twice the CPU of `http.client` per call,
and `http.client` spends half of its own in the `email` package parsing the answer's headers. So a
request goes out in one send, and its answer is parsed by httptools (llhttp, the parser uvicorn uses,
already a dependency for the emulator). Proxied connections keep httpx2's own transports
(`configure_client`).

Each thread keeps one connection per origin (the call threads of a pass run in parallel), reused while
the server keeps it open and for at most KEEPALIVE_S idle. The request's deadline (`deadline.py`) bounds
connecting, sending and every read; reads are sliced so that a stop is seen within SLICE_S.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time

import httptools
import httpx2

from hfwarden.adapters.deadline import SLICE_S, left_of_request

# An idle connection older than this is closed rather than reused (httpx's keep-alive expiry): a server
# closing it at the same moment would fail the request sent on it.
KEEPALIVE_S = 5.0
# One recv's worth: an action's answer comes in one read, a listing of many endpoints in several.
READ_SIZE = 16 * 1024


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


def _recv_sliced(sock: socket.socket, buffer: memoryview, read_timeout: float | None) -> int:
    """`sock.recv_into(buffer)`, waiting within the request's deadline and `read_timeout` a slice at a
    time (a timed-out `recv_into` loses no data), so that a stop is seen within SLICE_S."""
    read_until = None if read_timeout is None else time.monotonic() + read_timeout
    while True:
        left = _bounded(None, "read")
        if read_until is not None:
            this_read = read_until - time.monotonic()
            if this_read <= 0:
                raise TimeoutError("read: timed out")
            left = this_read if left is None else min(left, this_read)
        sock.settimeout(SLICE_S if left is None else min(SLICE_S, left))
        try:
            return sock.recv_into(buffer)
        except TimeoutError:
            continue  # nothing in this slice: look at the deadline and the stop again


class _Answer:
    """httptools' callbacks: one answer's status, headers and body as they are parsed. A 1xx interim
    answer is dropped when the next one begins."""

    __slots__ = ("body", "complete", "headers", "headers_done", "keep_alive", "parser", "reason", "status", "version")

    def __init__(self) -> None:
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)
        self.on_message_begin()

    def on_message_begin(self) -> None:
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.headers_done = False
        self.complete = False
        self.status = 0
        self.version = "1.1"
        self.keep_alive = False

    def on_status(self, reason: bytes) -> None:
        self.reason += reason  # the status line may come in pieces

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        # Read here: llhttp forgets them once the message is complete.
        assert self.parser is not None
        self.status = self.parser.get_status_code()
        self.version = self.parser.get_http_version()
        self.keep_alive = self.parser.should_keep_alive()
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def delimited(self) -> bool:
        """Whether the answer says where its body ends (otherwise it ends when the server closes)."""
        return any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self.headers)


class _ClosedBeforeAnswering(ConnectionError):
    """The server closed the connection without a byte of answer."""


class _CutShort(ConnectionError):
    """The server closed the connection in the middle of the answer."""


class _Connection:
    """One keep-alive HTTP/1.1 connection: the request goes out in one send, the answer is parsed by
    httptools (llhttp, as uvicorn uses it); connecting, TLS, sends and reads keep to the deadline."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.host, self.port, self._tls = host, port, tls
        self.sock: socket.socket | None = None
        self.last_used = time.monotonic()
        self._buffer = memoryview(bytearray(READ_SIZE))

    def connect(self, timeouts: dict[str, float | None]) -> None:
        raw = socket.create_connection((self.host, self.port), _bounded(timeouts.get("connect"), "connect"))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            raw.settimeout(_bounded(timeouts.get("connect"), "tls"))
            raw = self._tls.wrap_socket(raw, server_hostname=self.host)
        self.sock = raw

    def exchange(self, request: bytes, timeouts: dict[str, float | None], *, head: bool) -> _Answer:
        """Send `request`, read its answer."""
        sock = self.sock
        assert sock is not None
        sock.settimeout(_bounded(timeouts.get("write"), "write"))
        sock.sendall(request)
        answer = _Answer()
        try:
            self._read(answer, sock, timeouts.get("read"), head=head)
        finally:
            answer.parser = None  # the parser holds the answer: no cycle left for the collector
        return answer

    def _read(self, answer: _Answer, sock: socket.socket, read_timeout: float | None, *, head: bool) -> None:
        parser = answer.parser
        assert parser is not None
        received = 0
        while not answer.complete:
            if head and answer.headers_done:
                break  # an answer to HEAD has no body, whatever its length says
            count = _recv_sliced(sock, self._buffer, read_timeout)
            if not count:
                if not received:
                    raise _ClosedBeforeAnswering("the server closed the connection without answering")
                if answer.headers_done and not answer.delimited():
                    break  # the body ran to the close
                raise _CutShort(f"IncompleteRead: the answer was cut short after {received} bytes")
            received += count
            parser.feed_data(self._buffer[:count])

    def still_open(self) -> bool:
        """Whether a kept connection can carry another request: not idle too long, and nothing (a close,
        stray bytes) waiting to be read on it."""
        if self.sock is None:
            return False
        if time.monotonic() - self.last_used > KEEPALIVE_S:
            return False
        readable, _, _ = select.select([self.sock], [], [], 0)
        return not readable

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


# A kept connection found closed when the request went out on it, before any answer.
_CLOSED_BEFORE_ANSWERING = (_ClosedBeforeAnswering, BrokenPipeError)

_ERRORS: tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...] = (
    (_Expired, httpx2.ReadTimeout),
    (_ClosedBeforeAnswering, httpx2.RemoteProtocolError),
    (_CutShort, httpx2.RemoteProtocolError),
    (httptools.HttpParserError, httpx2.RemoteProtocolError),
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
        timeouts = request.extensions.get("timeout", {})
        # httpx2 has put every header the request needs (Host, Content-Length) in `request.headers`.
        lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), url.raw_path)]
        lines += [b"%s: %s\r\n" % header for header in request.headers.raw]
        lines += [b"\r\n", request.read()]
        outgoing = b"".join(lines)
        head = request.method == "HEAD"
        for attempt in (1, 2):
            connection = self._connection(origin, tls)
            reused = connection.sock is not None
            connecting = not reused
            try:
                if connecting:
                    connection.connect(timeouts)
                    connecting = False
                answer = connection.exchange(outgoing, timeouts, head=head)
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
        if not answer.complete or not answer.keep_alive:
            self._drop(origin, connection)
        return httpx2.Response(
            answer.status,
            # The header bytes as they came: a Latin-1 value passes as httpcore2 would pass it.
            headers=answer.headers,
            stream=httpx2.ByteStream(b"".join(answer.body)),
            extensions={
                "http_version": b"HTTP/" + answer.version.encode("ascii"),
                "reason_phrase": answer.reason,
            },
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
    """httpx2's exception for what the socket or the parser raised, as httpx2's own transport maps
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
