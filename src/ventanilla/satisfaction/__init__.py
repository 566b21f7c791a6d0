"""Citizen satisfaction: the survey at the end of a conversation (widget or email) and ratings."""
