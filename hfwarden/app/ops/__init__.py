"""The operations the CLI and the daemon share, and the one place that wires Hub, Store and pass."""
