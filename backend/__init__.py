"""The backend: the only writer of catalog, queue and ticket state (Flask + SQLite + MQTT)."""
