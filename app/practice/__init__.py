"""Supervised practice: trainees log the sessions they deliver; supervisors verify each one."""
