"""Audit: the AuditEvent row every write leaves behind, in the same transaction.

Owns `record_event()`, the scoped reads of the audit log and its export for the audit
administrator (`exports.py`). Events are only ever added: the model refuses to change or delete
them, and so does a trigger on PostgreSQL (migration 0003). Refers to users and regions only by
Django's string references, so every other app may import it.
"""
