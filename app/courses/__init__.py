"""Courses: content packs loaded from files, lessons, cohorts' courses and learners' progress."""
