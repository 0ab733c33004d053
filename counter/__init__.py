"""``hall counter``: the window's own hardware — a caller keypad (叫号器) and a five-key evaluator (评价器).

Each is its own device (broker user) bound to one window, speaking only the
PROTOCOL.md requests over the bus; neither knows Flask, the kiosk or signage.
"""
