"""`python -m moulin_sync.emulators.typeform --port P ...`"""

from .cli import typeform_emulator_command

if __name__ == "__main__":
    typeform_emulator_command(prog_name="moulin-sync emulator typeform")
