"""Policy standards: dated, per-region values such as the annual dibao standard."""
