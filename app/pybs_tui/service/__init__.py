"""The service layer: where work is orchestrated for the CLI and the TUI alike (no textual)."""
