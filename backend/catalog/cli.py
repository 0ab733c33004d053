"""``hall catalog import FILE [--dry-run]`` and ``hall catalog export [--format yaml|csv] [--out FILE]``.

Plain functions returning an exit code; the ``hall`` command wires them.  A
file ending in ``.csv`` is an item table (departments, queues and windows stay
as they are); anything else is a whole catalog in YAML.  The import changes
the database only; a running backend republishes the catalog when it sees the
new version (``CatalogSync.check``) and on every start.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Engine

from protocol import Topics

from . import service, store
from .csvformat import export_items_csv, validate_items_csv
from .fileformat import export_yaml, validate_catalog
from .model import Catalog, ImportProblem

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
_NO_TOPICS = Topics("cli")  # publications are computed, not sent: the backend republishes


def read_catalog(engine: Engine, raw: bytes, name: str) -> tuple[Catalog | None, list[ImportProblem]]:
    """Validate an upload by its name: ``.csv`` is an item table, anything else a YAML catalog."""
    if name.lower().endswith(".csv"):
        with engine.connect() as conn:
            base = store.load_catalog(conn)
        return validate_items_csv(raw, name, base)
    return validate_catalog(raw, name)


def cli_import(engine: Engine, path: str | Path, dry_run: bool = False, out: TextIO | None = None) -> int:
    """Validate FILE completely, then apply it all or nothing (or only report, with *dry_run*)."""
    out = out or sys.stdout
    path = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read the file: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    catalog, problems = read_catalog(engine, raw, path)
    if catalog is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{path}: {len(problems)} problem(s); nothing was imported", file=sys.stderr)
        return EXIT_INVALID
    if dry_run:
        with engine.connect() as conn:
            plan = service.plan_import(conn, catalog)
        print(f"{path}: valid ({len(catalog.departments)} departments, {len(catalog.queues)} queues, "
              f"{len(catalog.windows)} windows, {len(catalog.items)} items); dry run, nothing imported: "
              f"{plan.describe()}", file=out)
        return EXIT_OK
    change = service.run(engine, None, lambda conn: service.apply_import(conn, catalog, _NO_TOPICS))
    print(f"{path}: imported, catalog version {change.version}: {change.summary}", file=out)
    return EXIT_OK


def export_text(engine: Engine, fmt: str) -> str:
    with engine.connect() as conn:
        catalog = store.load_catalog(conn)
    return export_yaml(catalog) if fmt == "yaml" else export_items_csv(catalog)


def cli_export(engine: Engine, fmt: str = "yaml", out: str | Path | None = None) -> int:
    """Write the canonical catalog (YAML) or the item table (CSV) to *out* or standard output."""
    if fmt not in ("yaml", "csv"):
        print(f"unknown format {fmt!r}: use yaml or csv", file=sys.stderr)
        return EXIT_USAGE
    text = export_text(engine, fmt)
    if out is None or str(out) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return EXIT_OK
    try:
        Path(out).write_bytes(text.encode("utf-8"))
    except OSError as exc:
        print(f"{out}: cannot write the file: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{out}: catalog exported ({fmt})", file=sys.stderr)
    return EXIT_OK


__all__ = ["cli_import", "cli_export", "read_catalog", "export_text", "EXIT_OK", "EXIT_INVALID", "EXIT_USAGE"]
