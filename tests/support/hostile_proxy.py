"""A misbehaving HTTP server in front of the emulator: what a broken corporate proxy, a slowloris or a
half-dead API answers. Each request is forwarded to the emulator, then answered according to the first
rule whose method and path match: truncated, an HTML page with 200, dripped one byte at a time, never,
or with its JSON mangled. Requests no rule matches pass through unchanged. It serves as a forward
proxy (`HTTP_PROXY`) too: a request for a whole URL goes to the emulator all the same.

One connection per request (`Connection: close`), threads per connection, all on loopback.
"""

from __future__ import annotations

import http.client
import json
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class Mode(StrEnum):
    PASS = "pass"
    TRUNCATE = "truncate"  # the body cut in half, with a Content-Length that says so
    HTML = "html"  # 200 with an HTML error page, as a corporate proxy sends
    DRIP = "drip"  # the whole answer (status line and headers too) one byte per `interval`, forever if need be
    SILENT = "silent"  # the request is read and never answered
    MANGLE = "mangle"  # the JSON body passed through `mangle`


@dataclass
class Rule:
    path: str  # a substring of the request path
    mode: Mode
    method: str | None = None
    mangle: Callable[[Any], Any] | None = None
    interval: float = 0.5
    hits: int = 0


HTML_PAGE = b"<html><head><title>502</title></head><body><h1>Access denied by proxy</h1></body></html>"


class HostileProxy:
    """`with HostileProxy(emulator.base_url) as proxy: proxy.rules.append(Rule(...))`; `proxy.url`."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: list[Rule] = []
        self.targets: list[str] = []  # every request's target, as sent (a whole URL when a forward proxy)
        self.stopped = threading.Event()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        socketserver.ThreadingTCPServer.daemon_threads = True
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def rule_for(self, method: str, path: str) -> Rule | None:
        return next((r for r in self.rules if r.path in path and r.method in (None, method)), None)

    def _handle(self, conn: socket.socket) -> None:
        request = _read_request(conn)
        if request is None:
            return
        method, target, headers, body = request
        # As a forward proxy (HTTP_PROXY names it), the target is a whole URL: only its path goes on.
        path = _origin_form(target)
        self.targets.append(target)
        rule = self.rule_for(method, path)
        if rule is not None:
            rule.hits += 1
        if rule is not None and rule.mode is Mode.SILENT:
            self.stopped.wait()
            return
        status, reason, answer_headers, answer = self._forward(method, path, headers, body)
        mode = rule.mode if rule is not None else Mode.PASS
        if mode is Mode.TRUNCATE:
            answer = answer[: len(answer) // 2]
        elif mode is Mode.HTML:
            status, reason, answer = 200, "OK", HTML_PAGE
            answer_headers = [("Content-Type", "text/html")]
        elif mode is Mode.MANGLE and rule is not None and rule.mangle is not None:
            answer = json.dumps(rule.mangle(json.loads(answer))).encode()
        raw = _response(status, reason, answer_headers, answer)
        try:
            if mode is Mode.DRIP and rule is not None:
                for i in range(len(raw)):
                    if self.stopped.wait(rule.interval):
                        return
                    conn.sendall(raw[i : i + 1])
            else:
                conn.sendall(raw)
        except OSError:
            return  # the client gave up: that is what a deadline does

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            sent = {k: v for k, v in headers if k.lower() not in ("host", "connection", "accept-encoding")}
            upstream.request(method, path, body=body or None, headers=sent)
            answer = upstream.getresponse()
            data = answer.read()
            kept = [
                (k, v)
                for k, v in answer.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding")
            ]
            return answer.status, answer.reason, kept, data
        finally:
            upstream.close()


def _origin_form(target: str) -> str:
    if "://" not in target:
        return target
    parts = urlsplit(target)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _read_request(conn: socket.socket) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, path, headers, body


def _response(status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
