"""Cross-cutting pieces: database base, permissions, i18n, audit, security, errors."""
