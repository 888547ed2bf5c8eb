"""Shared foundations: settings, database, errors, pagination, identifiers, money, validators."""
