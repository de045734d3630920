"""Programme dashboards (issue #8): cohort and organisation figures, SVG charts, CSV and PDF reports."""
