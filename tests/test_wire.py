"""The Hub client's direct transport (hfwarden/adapters/wire.py) against real loopback servers:
connections kept and replaced, TLS verified, errors as httpx2's, and the client's choice of transport."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest
import trustme
from huggingface_hub import close_session, constants, get_session

from hfwarden.adapters import wire
from hfwarden.adapters.deadline import request_deadline
from hfwarden.adapters.hub import configure_client
from hfwarden.adapters.wire import DirectTransport


class _Counting(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    close_after_answer = False

    def get_request(self) -> tuple[socket.socket, Any]:
        accepted = super().get_request()
        self.connections += 1
        return accepted


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Counting

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.server.close_after_answer:
            # Closed without saying so (no `Connection: close`), as a server's idle timeout does.
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Seen-Host", self.headers.get("Host", ""))
        self.send_header("X-Greeting", "bienvenue à bord")  # not ASCII: sent as Latin-1 bytes
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serving(server: _Counting) -> Iterator[_Counting]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[_Counting]:
    yield from _serving(_Counting(("127.0.0.1", 0), _Handler))


@pytest.fixture
def client() -> Iterator[httpx2.Client]:
    with httpx2.Client(transport=DirectTransport(ssl.create_default_context())) as direct:
        yield direct


def _url(server: _Counting, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}"


def test_a_kept_connection_carries_the_next_requests(server: _Counting, client: httpx2.Client) -> None:
    answers = [client.get(f"{_url(server)}/{i}").json() for i in range(5)]
    assert answers == [{"ok": True}] * 5
    assert server.connections == 1


def test_a_body_and_the_headers_go_as_httpx2_built_them(server: _Counting, client: httpx2.Client) -> None:
    answer = client.post(f"{_url(server)}/x", json={"compute": {"scaling": {"scaleToZeroTimeout": None}}})
    assert answer.status_code == 201
    assert answer.json() == {"compute": {"scaling": {"scaleToZeroTimeout": None}}}
    assert answer.headers["X-Seen-Host"] == f"127.0.0.1:{server.server_address[1]}"
    assert answer.headers.raw[-1] == (b"X-Greeting", "bienvenue à bord".encode("latin-1"))


def test_a_connection_the_server_closed_is_not_reused(server: _Counting, client: httpx2.Client) -> None:
    server.close_after_answer = True
    for i in range(3):
        assert client.get(f"{_url(server)}/{i}").status_code == 200
    assert server.connections == 3


def test_a_connection_idle_past_the_keepalive_is_replaced(
    server: _Counting, client: httpx2.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "KEEPALIVE_S", -1.0)
    for i in range(3):
        client.get(f"{_url(server)}/{i}")
    assert server.connections == 3


def test_threads_keep_a_connection_each(server: _Counting, client: httpx2.Client) -> None:
    def three() -> None:
        for i in range(3):
            client.get(f"{_url(server)}/{i}")

    threads = [threading.Thread(target=three) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.connections == 4


def test_tls_is_verified_against_the_trusted_authorities() -> None:
    authority = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(served)
    tls_server = _Counting(("127.0.0.1", 0), _Handler)
    tls_server.socket = served.wrap_socket(tls_server.socket, server_side=True)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    for running in _serving(tls_server):
        with httpx2.Client(transport=DirectTransport(trusting)) as client:
            assert [client.get(f"{_url(running, 'https')}/{i}").json() for i in range(2)] == [{"ok": True}] * 2
        with (
            httpx2.Client(transport=DirectTransport(ssl.create_default_context())) as untrusting,
            pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        ):
            untrusting.get(f"{_url(running, 'https')}/")
    assert (
        tls_server.connections == 1
    )  # both answers on one kept TLS connection (the refused handshake never got accepted)


def test_a_refused_connection_is_httpx2s_connect_error(client: httpx2.Client) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(httpx2.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_a_server_that_never_answers_ends_at_the_requests_deadline(client: httpx2.Client) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with request_deadline(0.6), pytest.raises(httpx2.ReadTimeout, match="deadline"):
            client.get(f"http://127.0.0.1:{silent.getsockname()[1]}/")


def test_an_answer_cut_short_is_a_protocol_error(client: httpx2.Client) -> None:
    with socket.socket() as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen()

        def answer_half() -> None:
            connection, _ = rude.accept()
            connection.recv(65536)
            connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial"')
            connection.close()

        threading.Thread(target=answer_half, daemon=True).start()
        with pytest.raises(httpx2.RemoteProtocolError, match="IncompleteRead"):
            client.get(f"http://127.0.0.1:{rude.getsockname()[1]}/")


def _answering(raw: bytes) -> tuple[socket.socket, str]:
    """A server that answers one request with `raw`, then closes; the socket and its URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()

    def answer() -> None:
        connection, _ = listening.accept()
        connection.recv(65536)
        connection.sendall(raw)
        connection.close()

    threading.Thread(target=answer, daemon=True).start()
    return listening, f"http://127.0.0.1:{listening.getsockname()[1]}/"


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        # No length: the body runs to the close (HTTP/1.0 style).
        (b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"to": "the close"}', b'{"to": "the close"}'),
        (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n4\r\n: 1}\r\n0\r\n\r\n', b'{"a": 1}'),
        # An interim answer first: only the final one is the answer.
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}", b"{}"),
    ],
    ids=["to-the-close", "chunked", "after-100-continue"],
)
def test_an_answer_is_read_whatever_says_where_it_ends(client: httpx2.Client, raw: bytes, body: bytes) -> None:
    listening, url = _answering(raw)
    with listening:
        answer = client.get(url)
    assert answer.content == body
    assert answer.status_code in (200, 202)


def test_an_answer_to_head_has_no_body_whatever_its_length_says(client: httpx2.Client) -> None:
    listening, url = _answering(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    with listening:
        answer = client.head(url)
    assert (answer.status_code, answer.content, answer.headers["Content-Length"]) == (200, b"", "10")


def test_an_answer_that_is_not_http_is_a_protocol_error(client: httpx2.Client) -> None:
    listening, url = _answering(b"SSH-2.0-OpenSSH_9.6\r\n")
    with listening, pytest.raises(httpx2.RemoteProtocolError):
        client.get(url)


def test_the_hub_client_goes_direct_unless_a_proxy_takes_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    for constant in ("INFERENCE_ENDPOINTS_ENDPOINT", "ENDPOINT"):  # put back after the test
        monkeypatch.setattr(constants, constant, getattr(constants, constant))
    configure_client(endpoints_api_url="https://api.example/v2", hub_url="https://hub.example", timeout_seconds=5)
    session = get_session()
    try:
        assert isinstance(session._transport, DirectTransport)
        proxied = [t for pattern, t in session._mounts.items() if pattern.scheme == "https" and t is not None]
        assert proxied
        assert not any(isinstance(t, DirectTransport) for t in proxied)
    finally:
        close_session()  # the next get_session() builds a client from the environment it then finds
