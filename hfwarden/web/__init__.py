"""The daemon's HTTP surface: probes, `/metrics`, the status page and `/api/v1` (`app.build_app`).

Nothing is imported here, so `plan --html` can use `page` without loading the server's modules."""
