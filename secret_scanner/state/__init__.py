"""The machine-local state directory and what lives in it: the run lock, keys, and the scan state."""
