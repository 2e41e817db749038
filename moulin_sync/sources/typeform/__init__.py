"""Typeform: the onboarding survey's NPS answers (score, comment, submission date)."""
