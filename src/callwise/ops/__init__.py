"""The operational database: campaigns, issued lists, outcomes, follow-ups, users, tokens, audit, model registry."""
