"""The pure core: endpoints, rules, decisions, cost, budgets and alerts. No I/O, no clock reads."""
