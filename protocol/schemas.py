"""Export a JSON Schema per payload (``python -m protocol.schemas docs/schemas``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .models import PAYLOADS, REQUEST_PARAMS


def all_schemas() -> dict[str, dict]:
    schemas = {name: model.model_json_schema() for name, model in PAYLOADS.items()}
    for kind, model in REQUEST_PARAMS.items():
        schemas[f"params.{kind}"] = model.model_json_schema()
    return schemas


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in sorted(all_schemas().items()):
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)
