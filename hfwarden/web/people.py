"""The routes that let people act on hfwarden's alerts, put together from the daemon's settings:
snooze links (with an action secret), Slack buttons (with a Slack signing secret too) and the write
API (its access is the middleware's: refused unless a UI token is set)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from starlette.routing import Route

from hfwarden.app.ops.actions import ActionDesk
from hfwarden.web.actions import action_routes
from hfwarden.web.slack_actions import slack_routes
from hfwarden.web.write_api import WriteSource, write_routes

__all__ = ["PeopleRoutes", "WriteSource"]


@dataclass(frozen=True)
class PeopleRoutes:
    source: WriteSource

    def routes(self) -> list[Route]:
        settings = self.source.settings
        desk = ActionDesk(settings, self.source.config, self.source.store, self.source.clock)
        routes = write_routes(self.source)
        if desk.enabled:
            routes += action_routes(desk)
            signing = settings.slack_secret_value()
            if signing is not None:
                routes += slack_routes(desk, signing, client=httpx.Client)
        return routes
