"""One file per source beyond the App du Moulin: its service in a reliability world and
its faults (the contract: `services.py`). `make reliability` finds every file here."""
