"""The detection engine: bytes in, redacted findings out. No argv, no printing, no network, no state directory
of its own (cache location and keys arrive as arguments).
"""
