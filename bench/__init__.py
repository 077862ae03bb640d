"""Benchmarks: each script builds its own data in a scratch PostgreSQL database and prints figures."""
