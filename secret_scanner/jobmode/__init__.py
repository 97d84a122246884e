"""The KEPM job task: Plugin Settings, the MQTT publisher, KeeperLogger messages, the spool and the run."""
