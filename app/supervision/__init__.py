"""Supervision logs: sessions, cases discussed, well-being checks and action items."""
