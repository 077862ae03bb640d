"""Alerts: emergencies (incidents), their call logs, township duty rosters, and the escalation sweeper that
acts on stored deadlines.
"""
