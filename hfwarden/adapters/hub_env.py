"""`huggingface_hub` settings that keep the daemon's traffic to its own calls (imported by `hub.py`).

Without them, the first Hub call of every process builds the library's User-Agent, whose telemetry
part asks `utils/_detect_agent.py` whether an AI coding agent runs the process; that check fetches
a registry from `{HF_ENDPOINT}/api/agent-harnesses` (at most daily, cached in `$HF_HOME`), with no
lock, so every worker thread whose first call starts before the first fetch ends fetches it too.
The container's `$HF_HOME` is on a fresh tmpfs, so each start paid it again. The switches are the
library's documented environment variables, read into `huggingface_hub.constants` on its import and
from there at call time: set in the environment (for later imports and child processes) and on
the constants when the library is already loaded.
"""

from __future__ import annotations

import os
import sys

# HF_HUB_DISABLE_TELEMETRY: no agent detection (the /api/agent-harnesses fetch) and no telemetry in
# the User-Agent. HF_HUB_DISABLE_UPDATE_CHECK: the `hf` command's PyPI and skill checks.
SETTINGS = {"HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1"}


def quiet_hub_client() -> None:
    """Set the switches for this process and its children; also on the constants if already imported."""
    os.environ.update(SETTINGS)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # imported before us (a test harness, a host program): patch what it read
        for name in SETTINGS:
            setattr(constants, name, True)


quiet_hub_client()
