"""Elders: the registry (台账) of elderly people in special difficulty.

The foundation holds identity and residence; the full record form's sections 1–4
come with the registry issue. ID and phone numbers are stored encrypted (SM4-GCM)
with a keyed SM3 blind index for exact search, and shown masked.
"""
