"""Customer journeys (客户旅程): YAML definitions of entry, waits, branches on events, actions and exits, run by a
durable worker over the operational database, every action through the channel policy (docs/journeys.md)."""
