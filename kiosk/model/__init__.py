"""The kiosk's model, free of Kivy: tested without a window, driven by the node and the screens."""

from .hall import HallState
from .kiosk import KioskModel, Options, TakeStatus
from .observable import Observable
from .ticketing import DeskState, Failure, TicketDesk
from .visit import SCREENS, SEARCH_KEYS, Visit

__all__ = ["DeskState", "Failure", "HallState", "KioskModel", "Observable", "Options", "SCREENS",
           "SEARCH_KEYS", "TakeStatus", "TicketDesk", "Visit"]
