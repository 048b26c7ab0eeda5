"""The command line: parses flags and config, builds the parts, runs a command.
One module per command family; `main` is the entry point."""
