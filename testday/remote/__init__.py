"""Remote work on lab machines over SSH: allow-listed runbook actions and agent deployment."""
