"""The in-app notification centre: harm flags, risk alerts, reminders; email too when mail is configured."""
