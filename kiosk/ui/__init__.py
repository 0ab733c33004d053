"""The kiosk's Kivy screens (one .kv file each) over :mod:`kiosk.model`.

Importing :mod:`kiosk.ui.app` imports Kivy: set the SDL/Kivy environment
first (``kiosk.app.main`` does, and so does the tests' conftest).
"""
