"""Face-to-face training days of a cohort and the attendance taken on them."""
