"""Accounts: login, sessions, throttling, password policy and reset codes."""
