"""The development agent: runs KEPM job JSON files on one machine the way the Keeper agent does.

A real TLS mosquitto behind a gate that identifies each job from the MQTT client ID (split on `_`) and admits
only processes this agent launched, an HTTPS Plugin Settings endpoint with the same process trust, a job runner
(binary resolution, environment, timeouts, Startup and interval triggers with a time scale) and an operator's
view of KeeperLogger. It runs the product as a subprocess, like the agent: nothing here imports the scanner.
"""
