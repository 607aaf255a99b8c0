"""How the Inference Endpoints platform behaves: billing (shared by the emulator and the ledger) and
autoscaling (shared by the emulator and the backtest)."""
