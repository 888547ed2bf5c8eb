"""Charity trusts (慈善信托): filings, change filings, annual reports, termination, disclosure."""
