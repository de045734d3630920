"""Certification: rules with a visible path, PDF certificates, public verification, Open Badges 3.0."""
