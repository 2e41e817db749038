"""Launching and describing Dagster runs, below the command line, the definitions and the
refresh service that all use it: where a run launched outside the webserver says it comes
from (`origin`), running it in this process (`launch`), why it failed (`failures`), and
the statuses and tags Dagster gives runs (`statuses`, `tags`).
"""
