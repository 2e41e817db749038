"""`python -m moulin_sync.emulators.freshdesk --port P ...`"""

from .cli import freshdesk_emulator_command

if __name__ == "__main__":
    freshdesk_emulator_command(prog_name="moulin-sync emulator freshdesk")
