"""Quizzes: question banks in Moodle's GIFT format, their import, export and grading."""
