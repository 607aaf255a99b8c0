"""How the Inference Endpoints platform behaves: billing (shared by the emulator and the ledger)."""
