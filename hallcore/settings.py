"""Settings: defaults in code, then one TOML file, then ``HALL_...`` environment variables.

Each service declares its settings as a (frozen) dataclass in its own
``settings.py`` and calls :func:`load` with it.  Nested dataclasses map to TOML
tables and to ``HALL_<TABLE>__<FIELD>`` variables, e.g. ``HALL_BROKER__PORT=1884``.
Nothing is read at import time: a service loads its settings in ``main`` and
passes them in.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Mapping, TypeVar

from .errors import ConfigError

T = TypeVar("T")
ENV_PREFIX = "HALL_"


def _convert(value: Any, kind: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value == "" and type(None) in args):
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} is not a valid {kind}")
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{where}: {value!r} is not true/false")
    if kind in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {value!r} is not a valid {kind.__name__}") from None
    if kind is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return str(value)
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        inner = args[0] if args else str
        return tuple(_convert(v, inner, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return _build(kind, value, where)
    return value


def _build(cls: type[T], data: Mapping[str, Any], where: str) -> T:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(data[f.name], hints[f.name], f"{where}.{f.name}" if where else f.name)
        elif dataclasses.is_dataclass(hints[f.name]) and f.default is dataclasses.MISSING \
                and f.default_factory is dataclasses.MISSING:
            values[f.name] = _build(hints[f.name], {}, f"{where}.{f.name}")
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where or 'settings'}: {exc}") from None


def _merge(base: dict, extra: Mapping) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_overrides(cls: type, environ: Mapping[str, str], prefix: str) -> dict:
    out: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        key = f"{prefix}{f.name.upper()}"
        if dataclasses.is_dataclass(kind):
            nested = _env_overrides(kind, environ, key + "__")
            if nested:
                out[f.name] = nested
        elif key in environ:
            out[f.name] = environ[key]
    return out


def load(cls: type[T], path: str | os.PathLike | None = None, *,
         environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> T:
    """Build *cls* from defaults, the TOML file at *path* (if given), the environment, *overrides*."""
    data: dict[str, Any] = {}
    where = ""
    if path is not None:
        path = Path(path)
        where = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"settings file {path} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    env = _env_overrides(cls, os.environ if environ is None else environ, ENV_PREFIX)
    data = _merge(data, env)
    if overrides:
        data = _merge(data, overrides)
    return _build(cls, data, where)
