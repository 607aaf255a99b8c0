"""Schedules that re-learn themselves (`learn:`): demand in, proposals out, adopted or not."""
