"""Accounts: users, roles, log-in with lock-out, passwords, API tokens and user management."""
