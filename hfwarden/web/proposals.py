"""The status page's schedule proposals (`learn:`): open ones to decide on, adopted ones in force."""

from __future__ import annotations

from html import escape
from typing import Any

from hfwarden.adapters.store import Store
from hfwarden.app.learn.notes import summary
from hfwarden.core.learning import Proposal, ProposalStatus

STANDING = (ProposalStatus.OPEN, ProposalStatus.ADOPTED)


def standing(store: Store) -> list[Proposal]:
    try:
        return store.proposals(statuses=STANDING)
    except Exception:  # the page must render even when the store does not answer
        return []


def _row(p: Proposal, forecast_error: float | None) -> str:
    action = f"hfwarden adopt {p.endpoint}" if p.status == ProposalStatus.OPEN else f"hfwarden revert {p.endpoint}"
    error = "–" if forecast_error is None else f"{forecast_error:.0%}"
    return (
        f"<tr><td>{escape(p.endpoint)}</td><td>v{p.version}</td><td>{escape(p.status.value)}</td>"
        f"<td>{escape(summary(p))}</td><td>{error}</td><td><code>{escape(action)}</code></td></tr>"
    )


def _forecast_errors(store: Store) -> dict[str, float | None]:
    try:
        return {key: state.forecast_error for key, state in store.learning_states().items()}
    except Exception:  # the page must render even when the store does not answer
        return {}


def proposals_section(store: Store) -> str:
    """A section listing open and adopted proposals; empty when there is none."""
    found = standing(store)
    if not found:
        return ""
    errors = _forecast_errors(store)
    rows = "".join(_row(p, errors.get(p.endpoint)) for p in found)
    return (
        f'<section id="proposals"><h2>Schedule proposals ({len(found)})</h2><table><thead><tr><th>endpoint</th>'
        f"<th>version</th><th>status</th><th>on the held-out weeks</th><th>forecast error (7 days)</th>"
        f"<th>to decide</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def with_proposals(page: str, store: Store) -> str:
    """The page with its proposals section at the end of its main content."""
    section = proposals_section(store)
    return page.replace("</main>", section + "</main>", 1) if section else page


def proposals_document(store: Store) -> list[dict[str, Any]]:
    from hfwarden.app.learn.commands import proposal_document

    return [proposal_document(p) for p in standing(store)]
