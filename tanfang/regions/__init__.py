"""Regions: the administrative tree (province → village), user→region assignments,
and scoping — the one mechanism that decides what a user may see.
"""
