"""Where the embedded demo keeps its files (a constant the command's options need before
any setting is read)."""

DEMO_DIR = ".moulin/demo"
