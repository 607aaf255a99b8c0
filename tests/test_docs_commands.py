"""The README and docs/ stay true: every `hfwarden` command in a `sh` block parses with the real
command line (a synopsis with `[...]` names a real command), every command's --help has its
description, environment and an example that parses, and the README's walk-through runs, step by
step, against the emulator as a process (its ports and state directory swapped for free ones)."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from hfwarden.cli import _build_parser
from hfwarden.cli_help import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
WALK_THROUGH = "## Five minutes against the emulator"


def sh_lines(text: str) -> list[str]:
    """The lines of every ```sh block, comments and a trailing `&` removed, continuations joined."""
    found = []
    for block in SH_BLOCK.findall(text):
        joined = re.sub(r"\n\s+(?=\[|--)", " ", block)  # a synopsis continued on indented lines
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip().removesuffix("&").strip()
            if line and not line.startswith("#"):
                found.append(line)
    return found


def hfwarden_commands() -> Iterator[tuple[str, str]]:
    for page in PAGES:
        for line in sh_lines(page.read_text()):
            words = line.split()
            if words and words[0] in ("hfwarden", ".venv/bin/hfwarden"):
                yield page.name, line


COMMAND_LINES = list(hfwarden_commands())


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    """The real command line, built once: parsing (and `--help`) leaves it as it was."""
    return _build_parser()


def test_the_docs_have_commands_to_check() -> None:
    assert len(COMMAND_LINES) >= 15
    assert {page for page, _ in COMMAND_LINES} >= {"README.md", "operations.md", "predictions.md", "emulator.md"}


@pytest.mark.parametrize(("page", "line"), COMMAND_LINES, ids=[f"{p}:{line[:60]}" for p, line in COMMAND_LINES])
def test_every_documented_command_parses(page: str, line: str, parser: argparse.ArgumentParser) -> None:
    words = shlex.split(line)[1:]
    if any("[" in w or "..." in w or "|" in w for w in words):  # a synopsis: its command must exist
        assert words[0] in {"run", *COMMANDS}, f"{page}: {line}"
        return
    try:
        parser.parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"{page}: `{line}` does not parse (exit {exc.code})")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_has_a_description_its_environment_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str], parser: argparse.ArgumentParser
) -> None:
    with pytest.raises(SystemExit):
        parser.parse_args([command, "--help"])
    text = capsys.readouterr().out
    assert COMMANDS[command].description.split()[0] in text
    assert "environment:\n" in text
    assert "example:\n  hfwarden " in text
    parser.parse_args(shlex.split(COMMANDS[command].example)[1:])  # the example parses


def test_the_readme_is_a_front_door() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 250
    for page in re.findall(r"\]\((docs/[a-z-]+\.md)\)", text):
        assert (ROOT / page).is_file(), page
    for page in PAGES[1:]:
        for target in re.findall(r"\]\((?!https?:|#)([^)#]+)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name}: a link to {target}"


def poll(condition: Callable[[], bool], timeout: float) -> None:
    """Until `condition` holds (checked every 0.1 s), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def walk_through() -> list[str]:
    """The lines of the first `sh` block after the walk-through's heading."""
    after = (ROOT / "README.md").read_text().split(WALK_THROUGH, 1)[1]
    block = after.split("```sh", 1)[1].split("```", 1)[0]
    return sh_lines(f"```sh{block}```")


def _background(argv: list[str], env: dict[str, str], started: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert started in first, first
    return process


def test_the_readme_walk_through_runs_against_the_emulator(tmp_path: Path) -> None:
    emulator_port, http_port = free_port(), free_port()
    swaps = {"8800": str(emulator_port), "9090": str(http_port), "/tmp/hfwarden-walkthrough": str(tmp_path / "state")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    # Not in the README: a quicker tick, so the page shows the hold within a second, and loopback only.
    env |= {"HF_HOME": str(tmp_path / "hf"), "HFWARDEN_TICK_SECONDS": "1", "HFWARDEN_HTTP_HOST": "127.0.0.1"}
    background: list[subprocess.Popen[str]] = []
    outputs: dict[str, str] = {}
    try:
        for line in walk_through():
            for old, new in swaps.items():
                line = line.replace(old, new)
            words = shlex.split(line)
            if words[0] == "export":
                name, _, value = words[1].partition("=")
                env[name] = value
            elif words[0] == "curl":
                url = words[-1]
                poll(lambda url=url: _answers(url), timeout=30)
                outputs["curl"] = httpx.get(url).text
            elif words[1:2] == ["emulator"]:
                background.append(_background([sys.executable, "-m", "hfwarden", *words[1:]], env, "serving"))
            elif words[1:] == ["run"]:
                process = subprocess.Popen([sys.executable, "-m", "hfwarden", "run"], env=env, cwd=ROOT, text=True)
                background.append(process)
                health = f"http://127.0.0.1:{http_port}/api/v1/status"
                poll(lambda health=health: _answers(health), timeout=60)
            else:
                done = subprocess.run(
                    [sys.executable, "-m", "hfwarden", *words[1:]], env=env, cwd=ROOT, capture_output=True, text=True
                )
                assert done.returncode == 0, (line, done.stdout, done.stderr)
                assert "Traceback" not in done.stderr, line
                outputs.setdefault(" ".join(words[1:3]), done.stdout)
                if words[1] == "hold":
                    page = f"http://127.0.0.1:{http_port}/"
                    poll(lambda page=page: "held running until" in httpx.get(page).text, timeout=30)
    finally:
        for process in reversed(background):
            process.terminate()
            process.wait(10)
    assert outputs["validate schedules/"].startswith("ok: 4 endpoints")
    assert "spend not tracked yet" in outputs["status"]
    # The seed's six: the four the walk-through schedules, acme/forgotten-test (undeclared) and the
    # try-out's acme/support-bot.
    assert outputs["run --once"].startswith("dry run: 6 endpoints observed")
    # Times name their zone (Paris: CET or CEST), without seconds or microseconds.
    assert re.match(r"keeps acme/chat-llama running until [\d: -]+ CES?T: [+-]?\$", outputs["hold acme/chat-llama"])
    assert re.search(r"^acme/chat-llama +running +until \d{4}-\d\d-\d\d \d\d:\d\d CES?T", outputs["holds"], re.M)
    assert '"spend_tracked":true' in outputs["curl"].replace(" ", "")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.HTTPError:
        return False
