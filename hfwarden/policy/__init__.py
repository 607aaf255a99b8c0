"""Pure policy: schedules, cost and guards. Nothing here does I/O or reads the clock."""
