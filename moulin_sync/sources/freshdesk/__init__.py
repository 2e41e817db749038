"""Freshdesk: the support tickets of Le Moulin's customers (pulled incrementally)."""
