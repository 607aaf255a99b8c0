"""glibc's allocator, told how a long-running daemon with many worker threads uses it.

glibc gives each thread that allocates its own arena (up to 8 per core): the 32 call threads
of a 5,000-endpoint minute spread their short-lived answers over 16 arenas, each keeping its
freed pages. Two arenas keep the daemon's peak RSS ~10 MB lower at 5,000 endpoints (146 -> 136 MB,
docs/architecture.md); the threads spend their time waiting on the network, not in malloc.
Elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's <malloc.h>
DAEMON_ARENAS = 2


def limit_arenas(count: int = DAEMON_ARENAS) -> bool:
    """At most `count` malloc arenas from now on (call before starting threads); False if not glibc.
    MALLOC_ARENA_MAX in the environment, when set, is the operator's choice and wins."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False
