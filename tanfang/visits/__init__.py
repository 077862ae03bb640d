"""Visits: the Visit row (one contact or attempt) that the schedule counts, and reads of it (service hours).

Only `records.services.submit_records` writes visits (with their filled-in form); this app sits low so
that the schedule, follow-ups and incidents can refer to a visit without depending on the form.
See docs/decisions/0012-visits-and-records.md.
"""
