"""`python -m moulin_sync.cli`: the `moulin-sync` command."""

from moulin_sync.cli import main

main()
