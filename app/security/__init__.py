"""Tokens, principals and roles, region scope, personal-data protection."""
