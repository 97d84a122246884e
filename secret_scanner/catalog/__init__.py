"""Rules as data: the TOML schema, the compiled rule model, format validators and specimen makers.

No engine and no I/O beyond reading the package's own rule files.
"""
