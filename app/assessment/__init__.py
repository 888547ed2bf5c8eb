"""Elderly capability assessments (老年人能力评估): scoring by the standard's table, amendments,
statistics by region, and the person's profile across domains."""
