"""`prewarm: auto` leads compiled from the start-ups measured so far (the pass's and `plan`'s), and the
grouping of stored start-ups they read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from hfwarden.config import Config
from hfwarden.core.readyby import AppliedLead, schedule_with_leads
from hfwarden.core.rules import EndpointSchedule
from hfwarden.core.startups import LAST_SAMPLES, StartupSample

# Kept in memory: twice what a lead reads (the lead of an opening may read older ones than the newest 20).
KEEP_SAMPLES = 2 * LAST_SAMPLES


def compile_leads(
    config: Config, samples: Mapping[str, list[StartupSample]], instances: Mapping[str, str], now: datetime
) -> tuple[Config, dict[str, AppliedLead]]:
    """`config` with every auto window compiled for the lead in force at `now`, and the lead of each
    opening rule (by rule id). Idempotent: windows compile from `config.ready_by`, whatever leads the
    rules had. An endpoint's hardware is its `instance:`, else the instance it was last seen on."""
    auto = {w.endpoint for w in config.ready_by if w.auto}
    if not auto:
        return config, {}
    endpoints: list[EndpointSchedule] = []
    leads: dict[str, AppliedLead] = {}
    by_hardware: dict[str, list[StartupSample]] = {}
    for own in samples.values():
        for sample in own:
            by_hardware.setdefault(sample.instance, []).append(sample)
    for schedule in config.endpoints:
        if schedule.key not in auto:
            endpoints.append(schedule)
            continue
        hardware = config.instances.get(schedule.key) or instances.get(schedule.key, "")
        compiled, applied = schedule_with_leads(
            schedule,
            config.ready_by,
            own=samples.get(schedule.key, []),
            same_hardware=by_hardware.get(hardware, []) if hardware else [],
            hardware=hardware,
            now=now,
        )
        endpoints.append(compiled)
        leads.update((rule_id, lead) for lead in applied for rule_id in lead.rule_ids)
    return replace(config, endpoints=tuple(endpoints)), leads


def group_samples(samples: list[StartupSample]) -> tuple[dict[str, list[StartupSample]], dict[str, str]]:
    """Start-ups by endpoint (oldest first), and the instance each endpoint was last measured on."""
    by_endpoint: dict[str, list[StartupSample]] = {}
    for sample in samples:
        by_endpoint.setdefault(sample.endpoint, []).append(sample)
    return by_endpoint, {s.endpoint: s.instance for s in samples}
