"""The names the reconciler, the CLI and the daemon import; the code lives in `hfwarden.adapters.sinks`."""

from hfwarden.adapters.sinks import (
    SCHEMA,
    TITLES,
    Deliverer,
    DeliveryPolicy,
    alert_document,
    pending,
    signature,
    slack_message,
)

__all__ = ["SCHEMA", "TITLES", "Deliverer", "DeliveryPolicy", "alert_document", "pending", "signature", "slack_message"]
