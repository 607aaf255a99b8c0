"""How the Inference Endpoints platform behaves, as one self-contained model: billing (shared by the
emulator and the ledger), HF's documented autoscaler (shared by the emulator, the backtest and
recommend), the minute-by-minute simulation with its request queue, and the cost floors."""
