"""The base of every payload: frozen, versioned (``"v": 1``), JSON in UTF-8."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION = 1

#: An id that is safe as one topic level (see protocol.topics.ID_PATTERN).
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
#: A short line of text shown on a screen (a name, a label).
Line = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: A paragraph (conditions, notes, an announcement).
Text = Annotated[str, StringConstraints(max_length=4000)]


class Payload(BaseModel):
    """A published message. Readers ignore fields they do not know (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    v: Literal[1] = Field(default=SCHEMA_VERSION, description="schema version, always 1")


class StrictPayload(Payload):
    """A message the backend accepts from a device: unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Part(BaseModel):
    """A nested part of a payload (no version field of its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
