"""Notifications: the one outbox. A message is a row before it is sent, sent once, retried on failure.

Sits low so that every app may send; it knows nothing of schedules or visits.
"""
