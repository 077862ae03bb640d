"""Elders: the registry (台账) of elderly people in special difficulty — sections 1–4 of the record form.

Owns imports, duplicates and merges, THE module that decrypts personal numbers (`personal_data.py`),
and the due-refresh queue (`due_queue.py`) through which every change to what an elder owes tells the
schedule. ID and phone numbers are stored encrypted (SM4-GCM) with a keyed SM3 blind index, shown masked.
"""
