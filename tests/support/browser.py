"""Headless Chromium driven through chromedriver's W3C WebDriver protocol, with httpx (already a
dependency): the dozen commands the browser tests need, without a client library and its pins."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver") if os.path.exists(p)), None
    )
    binary = next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)
    return (binary, driver) if binary and driver else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """One Chromium session. Elements are the driver's opaque ids."""

    def __init__(self, http: httpx.Client, session: str) -> None:
        self.http = http
        self.session = session

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.http.request(method, f"/session/{self.session}{path}", json=body)
        value = answer.json()["value"]
        if answer.status_code != 200:
            raise RuntimeError(f"webdriver {method} {path}: {value.get('error')}: {value.get('message')}")
        return value

    def open(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def resize(self, width: int, height: int) -> None:
        self._call("POST", "/window/rect", {"width": width, "height": height})

    def find(self, css: str, within: str | None = None) -> str:
        scope = f"/element/{within}" if within else ""
        return str(self._call("POST", f"{scope}/element", {"using": "css selector", "value": css})[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        return [e[ELEMENT] for e in self._call("POST", "/elements", {"using": "css selector", "value": css})]

    def text(self, element: str) -> str:
        """The text as rendered: hidden elements have none."""
        return str(self._call("GET", f"/element/{element}/text"))

    def type(self, element: str, text: str) -> None:
        self._call("POST", f"/element/{element}/value", {"text": text})

    def displayed(self, element: str) -> bool:
        return bool(self._call("GET", f"/element/{element}/displayed"))

    def rect(self, element: str) -> dict[str, float]:
        return dict(self._call("GET", f"/element/{element}/rect"))

    def click(self, element: str) -> None:
        self._call("POST", f"/element/{element}/click", {})

    def answer_prompt(self, text: str) -> None:
        """Type into the page's `prompt()` and accept it."""
        self._call("POST", "/alert/text", {"text": text})
        self._call("POST", "/alert/accept", {})

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._call("GET", "/screenshot")))
        return path

    def wait_for(self, script: str, *args: Any, timeout: float = 15) -> Any:
        """Poll a script until it returns something truthy (a refresh has landed, a line has moved)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := self.run(script, *args):
                return value
            time.sleep(0.1)
        raise AssertionError(f"not true within {timeout} s: {script}")


@contextlib.contextmanager
def chromium(width: int = 1200, height: int = 1000) -> Iterator[Browser]:
    """Start chromedriver and one headless Chromium session; stop both afterwards."""
    found = find_browser()
    if found is None:
        raise FileNotFoundError("chromium and chromedriver are not installed")
    binary, driver = found
    port = _free_port()
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if http.get("/status").json()["value"]["ready"]:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
            options = {
                "binary": binary,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    f"--window-size={width},{height}",
                    "--hide-scrollbars",
                ],
            }
            capabilities = {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}
            answer = http.post("/session", json={"capabilities": capabilities}).json()["value"]
            if "sessionId" not in answer:
                raise RuntimeError(f"chromium did not start: {answer.get('message')}")
            browser = Browser(http, answer["sessionId"])
            try:
                yield browser
            finally:
                with contextlib.suppress(httpx.HTTPError):
                    http.delete(f"/session/{browser.session}")
    finally:
        process.terminate()
        process.wait(10)
