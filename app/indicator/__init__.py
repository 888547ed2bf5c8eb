"""Task indicators: definitions, targets, reports, roll-ups over the region tree, dashboard."""
