"""Province–city–county sync (三级贯通): the change feed, the pull client, checkpoints."""
