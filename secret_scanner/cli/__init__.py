"""The only layer that reads argv, prints, or picks exit codes: one shell and one small module per program."""
