"""The catalog file (YAML, one document) — reading, checking everything, writing canonically.

Pure: no database, no Flask.  :func:`validate_catalog` reads bytes and returns
either a :class:`Catalog` or every problem found (never some of each: an
import applies all or nothing).  :func:`export_yaml` writes the canonical form:
fixed key order, empty fields left out, no timestamps, so
export → import → export gives the same bytes.  The format is described in
``docs/catalog.md``.
"""

from __future__ import annotations

import re
import typing
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from protocol.models.catalog import ITEM_KINDS, Department, Item, Queue, Window

from .checks import cross_check
from .model import FORMAT_VERSION, Catalog, HallInfo, ImportProblem

MAX_FILE_BYTES = 20 * 1024 * 1024
SECTIONS: dict[str, type[BaseModel]] = {"departments": Department, "queues": Queue, "windows": Window,
                                        "items": Item}
TOP_KEYS = ("format", "hall", *SECTIONS)
HEADER = ("# OneStop Hall catalog (事项目录), format 1: see docs/catalog.md.\n"
          "# Check an edited copy with: hall catalog import FILE --dry-run\n")
_FIELD_NAMES = frozenset(name for model in (*SECTIONS.values(), HallInfo) for name in model.model_fields) | {
    "start", "end", "days", "copies", "form", "mandatory"}
_FLOW_KEYS = frozenset({"days", "queues", "windows", "keywords"})


# -- reading -----------------------------------------------------------------------------------
def decode_text(raw: bytes | str, source: str) -> tuple[str | None, list[ImportProblem]]:
    """The text of an upload, or a problem saying plainly why it is not UTF-8 text."""
    if isinstance(raw, str):
        return raw, []
    if len(raw) > MAX_FILE_BYTES:
        return None, [ImportProblem(source, "", "", f"the file is {len(raw)} bytes; at most "
                                                      f"{MAX_FILE_BYTES} bytes are accepted")]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [ImportProblem(source, "", "", "the file is UTF-16; save it as UTF-8")]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = " (it looks like GBK/GB18030, e.g. saved by Excel as ANSI)"
        except UnicodeDecodeError:
            pass
        return None, [ImportProblem(source, f"line {line}", "",
                                    f"the file is not UTF-8{hint}: byte 0x{raw[exc.start]:02X} at byte offset "
                                    f"{exc.start} cannot be decoded; save the file as UTF-8")]
    if "\x00" in text:
        return None, [ImportProblem(source, "", "", "the file contains NUL characters: it is not a text file")]
    return text, []


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: ~5x faster
    """Safe YAML with the YAML 1.2 core scalars: ``13:30`` stays text, ``yes``/``no`` stay text."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers
          if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"),
                              list("-+0123456789"))


def _node_lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    """Record the line of every path (``items[3].materials[0].copies``) in the YAML tree."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                child = f"{path}.{key.value}" if path else str(key.value)
                out.setdefault(child, key.start_mark.line + 1)
                _node_lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _node_lines(value, f"{path}[{index}]", out)


def _duplicate_keys(node: yaml.Node, path: str, source: str, problems: list[ImportProblem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(getattr(key, "value", ""))
            child = f"{path}.{name}" if path else name
            if name in seen:
                problems.append(ImportProblem(source, path or "(top)", name,
                                              f"'{name}' appears twice here (line {key.start_mark.line + 1}); "
                                              "keep one", key.start_mark.line + 1))
            seen.add(name)
            _duplicate_keys(value, child, source, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _duplicate_keys(value, f"{path}[{index}]", source, problems)


def load_yaml(text: str, source: str) -> tuple[Any, dict[str, int], list[ImportProblem]]:
    """Parse YAML; returns (data, line of each path, problems)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            return None, {}, [ImportProblem(source, "", "", "the file is empty")]
        problems: list[ImportProblem] = []
        _duplicate_keys(node, "", source, problems)
        loader = _Loader(text)
        try:
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f"line {line}, column {mark.column + 1}" if mark else ""
        what = " ".join(filter(None, [exc.context, exc.problem]))
        return None, {}, [ImportProblem(source, where, "", f"this is not valid YAML: {what}", line)]
    except yaml.YAMLError as exc:
        return None, {}, [ImportProblem(source, "", "", f"this is not valid YAML: {exc}")]
    lines: dict[str, int] = {}
    _node_lines(node, "", lines)
    return data, lines, problems


# -- checking ----------------------------------------------------------------------------------
def _is_text(annotation: Any) -> bool:
    return annotation is str


def coerce_scalars(model: type[BaseModel], data: Any) -> Any:
    """Numbers written where text is expected (a phone, an id) become text, as a person meant."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, info in model.model_fields.items():
        if name not in out:
            continue
        value, annotation = out[name], info.annotation
        args = typing.get_args(annotation)
        if _is_text(annotation) and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = str(value)
        elif typing.get_origin(annotation) is tuple and args and isinstance(value, list):
            inner = args[0]
            if _is_text(inner):
                out[name] = [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                             for v in value]
            elif isinstance(inner, type) and issubclass(inner, BaseModel):
                out[name] = [coerce_scalars(inner, v) for v in value]
    return out


def _message(error: dict, model: type[BaseModel]) -> tuple[str, str]:
    """(field, plain words) for one pydantic error."""
    loc = [str(part) for part in error["loc"]]
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    field = loc[-1] if loc else ""
    shown = repr(value) if not isinstance(value, str) else f"'{value}'"
    if kind == "missing":
        return field, "is required but missing"
    if kind == "extra_forbidden":
        return field, f"'{field}' is not a known field here (check the spelling; see docs/catalog.md)"
    if kind == "literal_error":
        if field == "kind":
            return field, f"{shown} is not one of the seven kinds (七件制): {', '.join(ITEM_KINDS)}"
        return field, f"{shown} is not allowed; use one of: {ctx.get('expected', '')}".replace("'", "")
    if kind == "string_too_short":
        return field, "must not be empty"
    if kind == "string_too_long":
        return field, f"is too long ({len(value)} characters; at most {ctx.get('max_length')})"
    if kind == "string_pattern_mismatch":
        if field in ("start", "end"):
            return field, f"{shown} is not a time: write 24-hour HH:MM in quotes, e.g. '09:00'"
        if field == "prefix":
            return field, f"{shown} must be one or two capital letters (A-Z)"
        return field, (f"{shown} is not a valid id: use 1-64 letters, digits, '_', '.' or '-', "
                       "starting with a letter or digit (no spaces, no Chinese)")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return field, f"must be a whole number (got {shown})"
    if kind in ("bool_parsing", "bool_type"):
        return field, f"must be true or false (got {shown})"
    if kind in ("tuple_type", "list_type"):
        return field, f"must be a list, e.g. [{value}] (got {shown})"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return field, f"must be a set of 'field: value' lines (got {shown})"
    if kind == "string_type":
        return field, f"must be text (got {shown})"
    if kind in ("greater_than_equal", "greater_than"):
        return field, f"must be at least {ctx.get('ge', ctx.get('gt'))} (got {value})"
    if kind in ("less_than_equal", "less_than"):
        return field, f"must be at most {ctx.get('le', ctx.get('lt'))} (got {value})"
    if kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
        words = [word.strip("(),") for word in text.split()]
        return next((w for w in words if w in _FIELD_NAMES), field if loc and not loc[-1].isdigit() else ""), text
    return field, error["msg"]


def check_entry(model: type[BaseModel], data: Any, source: str, where: str,
                lines: dict[str, int] | None = None) -> tuple[Any, list[ImportProblem]]:
    """Validate one entry (an item, a queue...) and turn pydantic's errors into plain problems."""
    lines = lines or {}
    problems: list[ImportProblem] = []
    if not isinstance(data, dict):
        return None, [ImportProblem(source, where, "", f"must be a set of 'field: value' lines, not {data!r:.60}",
                                    lines.get(where))]
    known = set(model.model_fields) - {"v"}
    for key in data:
        if str(key) not in known and key != "v":  # "v" (a payload's schema version) is ignored
            problems.append(ImportProblem(source, where, str(key),
                                          f"'{key}' is not a known field (known: {', '.join(sorted(known))})",
                                          lines.get(f"{where}.{key}")))
    clean = {k: v for k, v in data.items() if str(k) in known}
    try:
        value = model.model_validate(coerce_scalars(model, clean))
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            field, message = _message(error, model)
            path = _problem_path(error, where, field)
            problems.append(ImportProblem(source, path, field, message,
                                          lines.get(f"{path}.{field}") or lines.get(path)))
        return None, problems
    return (value if not problems else None), problems


def check_data(data: Any, source: str, lines: dict[str, int] | None = None) -> tuple[Catalog | None, list[ImportProblem]]:
    """Check parsed file data: structure, every entry, then every reference between entries."""
    lines = lines or {}
    if not isinstance(data, dict):
        return None, [ImportProblem(source, "", "", "the file must be a mapping with hall:, departments:, "
                                                      "queues:, windows: and items:")]
    problems: list[ImportProblem] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(ImportProblem(source, "(top)", str(key), f"'{key}' is not a known section "
                                          f"(known: {', '.join(TOP_KEYS)})", lines.get(str(key))))
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        problems.append(ImportProblem(source, "(top)", "format", f"format {data['format']!r} is not supported; "
                                      f"this version reads format {FORMAT_VERSION}", lines.get("format")))
    hall = None
    if "hall" not in data:
        problems.append(ImportProblem(source, "(top)", "hall", "is required but missing (hall: {name: ...})"))
    else:
        hall, found = check_entry(HallInfo, data["hall"], source, "hall", lines)
        problems.extend(found)
    sections: dict[str, list[tuple[int, Any]]] = {}
    for name, model in SECTIONS.items():
        entries = data.get(name) or []
        sections[name] = []
        if not isinstance(entries, list):
            problems.append(ImportProblem(source, "(top)", name, "must be a list of entries ('- ' lines)",
                                          lines.get(name)))
            continue
        for index, entry in enumerate(entries):
            value, found = check_entry(model, entry, source, f"{name}[{index}]", lines)
            problems.extend(found)
            # an invalid entry still takes part in the checks between entries, as raw data
            sections[name].append((index, value if value is not None else entry))
    problems.extend(cross_check(sections, source, lines))
    if problems or hall is None:
        return None, problems
    return Catalog(hall=hall, **{name: tuple(v for _, v in entries) for name, entries in sections.items()}), []


def _problem_path(error: dict, where: str, field: str) -> str:
    """The path of the entry part an error is about (``items[3].materials[2]``)."""
    loc = list(error["loc"])
    if loc and str(loc[-1]) == field:
        loc = loc[:-1]
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def validate_catalog(raw: bytes | str, source_name: str) -> tuple[Catalog | None, list[ImportProblem]]:
    """Read and check a whole catalog file: the catalog, or every problem found (then None)."""
    text, problems = decode_text(raw, source_name)
    if text is None:
        return None, problems
    data, lines, problems = load_yaml(text, source_name)
    if data is None:
        return None, problems
    catalog, found = check_data(data, source_name, lines)
    problems = sorted(problems + found, key=lambda p: (p.line or 0))
    return (catalog if not problems else None), problems


# -- writing -----------------------------------------------------------------------------------
class _Flow(list):
    """A short list of scalars, written on one line: ``[1, 2, 3]``."""


class _Dumper(yaml.SafeDumper):
    pass


_TIME = re.compile(r"^\d\d:\d\d$")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else ("'" if _TIME.match(value) else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _prune(value: Any, key: str = "") -> Any:
    """Leave out empty text, empty lists and None; short scalar lists go on one line."""
    if isinstance(value, dict):
        return {k: _prune(v, k) for k, v in value.items() if v not in ("", None, [], ())}
    if isinstance(value, (list, tuple)):
        items = [_prune(v) for v in value]
        return _Flow(items) if key in _FLOW_KEYS and all(not isinstance(v, (dict, list)) for v in items) else items
    return value


def entry_data(value: BaseModel) -> dict:
    """An entry as it appears in the file (no ``v``, empty fields left out)."""
    return _prune(value.model_dump(mode="json", exclude={"v"}))


def catalog_data(catalog: Catalog) -> dict:
    return {"format": FORMAT_VERSION, "hall": _prune(catalog.hall.model_dump(mode="json")),
            **{name: [entry_data(v) for v in getattr(catalog, name)] for name in SECTIONS}}


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=1_000_000, indent=2)


def export_yaml(catalog: Catalog) -> str:
    """The canonical catalog file (UTF-8 text)."""
    note = "".join(f"# {line}\n" for line in catalog.hall.note.splitlines() if line.strip())
    return HEADER + note + dump_yaml(catalog_data(catalog))


def problems_text(problems: Iterable[ImportProblem]) -> str:
    return "\n".join(str(p) for p in problems)


__all__ = ["validate_catalog", "check_data", "check_entry", "export_yaml", "catalog_data", "entry_data",
           "decode_text", "load_yaml", "dump_yaml", "coerce_scalars", "problems_text", "SECTIONS"]
