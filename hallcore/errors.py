"""The project's one root exception.

Every error we raise on purpose derives from :class:`HallError`; where a
standard exception also fits, subclasses inherit it too (the gpiozero way), so
callers can catch either.
"""


class HallError(Exception):
    """Root of every OneStop Hall error. The message tells the operator what to do."""


class ConfigError(HallError, ValueError):
    """A settings file or value is wrong: the message names the file and the field."""
