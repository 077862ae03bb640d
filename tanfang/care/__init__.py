"""Care: follow-ups opened by what a visit finds, service providers and their contracts, and care services
(section 6 of the record form) that close follow-ups.
"""
