"""hfwarden: schedules, spend ledger and budget guards for Hugging Face Inference Endpoints."""

__version__ = "0.1.0"
