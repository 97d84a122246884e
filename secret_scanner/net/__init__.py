"""The one network policy: TLS contexts, agent URL checks and the retry helper shared by job mode and admin."""
