"""Social-assistance recipients: households, members, the assistance workflow, payments."""
