"""What a failed Inference Endpoints call raises. Never carries the token."""

from __future__ import annotations

from hfwarden.logs import masker


class HubError(Exception):
    """An Inference Endpoints call that failed for good (after any retries). Never carries the token."""

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(masker.mask(message))
        self.status = status
        self.request_id = request_id


class EndpointNotFound(HubError):
    """404 for one endpoint."""


class Cancelled(HubError):
    """The daemon is shutting down; back-off was cut short."""


class MalformedAnswer(HubError):
    """An answer that is not what the API sends (truncated JSON, an HTML page with 200, an item without
    `status`, a `null` item, an unreadable time, an absurd count): that call's failure, not the pass's."""


class Deferred(HubError):
    """Not called: the pass's deadline passed. The next pass does it (an action not recorded is caught up)."""
