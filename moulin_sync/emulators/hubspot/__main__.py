"""`python -m moulin_sync.emulators.hubspot --port P ...`"""

from .cli import hubspot_emulator_command

if __name__ == "__main__":
    hubspot_emulator_command(prog_name="moulin-sync emulator hubspot")
