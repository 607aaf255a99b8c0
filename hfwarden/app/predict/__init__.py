"""Backtest and recommend: value-in, value-out functions from a demand series to figures and schedules.

Nothing here parses flags, prints or reads settings: `cli_predict` does that, and other demand
sources (a Prometheus query, the daemon's own history) call the same functions.
"""
