"""Schedule: THE definition of due, overdue and visited (`due.py`), each elder's stored due state and
the queue that keeps it current, policies, festivals and weather, work lists, officers' lists, the
visitor's daily digest."""
