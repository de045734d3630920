"""Organisations, sites, role assignments, cohorts and supervisor assignments."""
