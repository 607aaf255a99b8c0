"""Adapters: the only code that does I/O (the Hub, the state store, alert sinks)."""
