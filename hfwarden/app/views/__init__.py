"""What the status page, `status` and `plan` show, built from a pass report and the state store."""
