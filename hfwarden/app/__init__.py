"""Operations shared by the CLI and the daemon: backtest, recommend."""
