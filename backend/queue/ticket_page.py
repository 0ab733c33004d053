"""``/t/<ticket id>``: the page a ticket's QR code opens — number, state, how many ahead, the wait.

Public (the id is a random 128-bit value printed only on that ticket); shows
nothing but the ticket's own number and line.  Refreshes itself every 30 s.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from .console import queue_service
from .domain import STATE_ZH, WAITING_STATES

bp = Blueprint("ticket", __name__, template_folder="templates")


@bp.get("/t/<ticket_id>")
def status(ticket_id: str):
    if not (len(ticket_id) == 32 and all(c in "0123456789abcdef" for c in ticket_id)):
        abort(404)
    service = queue_service()
    with current_app.extensions["hall"].engine.connect() as conn:
        engine = service.engine(conn)
        ticket = engine.repo.get_ticket(ticket_id)
        if ticket is None:
            abort(404)
        queue = engine.catalog.queue(ticket.queue)
        waiting = ticket.state in WAITING_STATES and ticket.day == engine.today(service.now())
        ahead = engine.repo.count_ahead(ticket) if waiting else 0
        wait = engine.estimate(ticket.queue, ahead) if waiting else None
        window = engine.catalog.window(ticket.window) if ticket.window else None
    return render_template("counter/ticket.html", ticket=ticket, queue=queue, state_zh=STATE_ZH[ticket.state],
                           waiting=waiting, ahead=ahead, wait=wait, window=window)
