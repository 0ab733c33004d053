"""Announcements (公告): notices administrators push to the walls, bars and kiosks.

- :mod:`.model` and :mod:`.schedule` are pure (no Flask, no database): what a
  valid notice is, and which notices show at a given moment.
- :mod:`.tables` stores them; :mod:`.service` publishes the active ones on the
  retained ``announcements`` topic and keeps it right as they start and end
  (:mod:`.ticker`); :mod:`.web` and :mod:`.api` are the admin console and the
  HTTP API.

Importing this package loads nothing heavy.
"""
