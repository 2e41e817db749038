"""Alerts to the web team: what they say (`messages`) and where they go (`channels`).

The sensors and the digest schedule that send them are in `moulin_sync.defs.alerts`.
"""
