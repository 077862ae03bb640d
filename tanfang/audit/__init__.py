"""Audit: the AuditEvent row every write leaves behind, in the same transaction.

Owns `record_event()` and the scoped reads of the audit log. Refers to users and
regions only by Django's string references, so every other app may import it.
"""
