"""Core: roles and permissions, scope, errors, time, crypto and ID numbers.

Imports no other Tanfang app; every other app may import it.
"""
