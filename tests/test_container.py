"""Install the project exactly as the Dockerfile does, into a fresh virtual environment, and run the
image's entry command. (No container engine runs on the build machines.)"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INSTALL = 'pip install --no-cache-dir -c constraints.txt ".[postgres]"'


def dockerfile_install_line() -> str:
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("RUN /opt/hfwarden/bin/pip install"):
            return line.removeprefix("RUN /opt/hfwarden/bin/")
    raise AssertionError("the Dockerfile no longer installs with pip: update this test with it")


def test_the_image_install_works_and_its_entrypoint_runs(tmp_path: Path) -> None:
    assert dockerfile_install_line() == INSTALL
    # The build context the Dockerfile copies, and nothing else.
    context = tmp_path / "src"
    context.mkdir()
    for name in ("pyproject.toml", "constraints.txt", "README.md"):
        shutil.copy(REPO / name, context / name)
    shutil.copytree(REPO / "hfwarden", context / "hfwarden", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", *shlex.split(INSTALL)],
        cwd=context,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    entry = venv / "bin" / "hfwarden"  # ENTRYPOINT ["hfwarden"]
    runtime_env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HF_HOME": str(tmp_path / "hf"), "HOME": str(tmp_path)}
    shown = subprocess.run([str(entry), "--help"], env=runtime_env, capture_output=True, text=True, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "run" in shown.stdout
    assert "healthcheck" in shown.stdout
    valid = subprocess.run(
        [str(entry), "validate", str(REPO / "schedules")], env=runtime_env, capture_output=True, text=True, check=False
    )
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("ok: ")
    # Nothing from the dev tools leaked into the image's environment.
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list"], capture_output=True, text=True, check=True
    )
    assert "pytest" not in listed.stdout
