"""Visitors: visitor profiles and pairing (结对); THE test of whether a log-in is paired with an elder
(`selectors.own_visitors`, `is_paired`); the one-tap call."""
