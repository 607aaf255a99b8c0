"""What the daemon compares to notice an edited, added or removed schedule file (and reload)."""

from __future__ import annotations

from pathlib import Path

from hfwarden.config.loader import schedule_files


def config_fingerprint(paths: list[Path]) -> tuple[tuple[str, float, int], ...]:
    """What changes when a schedule file is edited, added or removed."""
    found = []
    try:
        files = schedule_files(paths)
    except (OSError, RuntimeError):  # an unlistable directory: a reload then says what is wrong
        return (("?", 0.0, -1),)
    for file in files:
        try:
            stat = file.stat()
            found.append((str(file), stat.st_mtime, stat.st_size))
        except OSError:
            found.append((str(file), 0.0, -1))
    return tuple(found)
