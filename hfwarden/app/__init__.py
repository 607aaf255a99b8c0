"""Operations shared by the CLI and the daemon: a pass, status, plan, release, backtest, recommend.

Each gathers inputs, calls the core, carries out what it decides and records it."""
