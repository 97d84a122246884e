"""Turns a scan result into text for a person or a file: the terminal table, JSON and SARIF reports."""
