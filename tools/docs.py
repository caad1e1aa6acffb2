"""Generate docs/events.md and docs/asyncapi.json from contracts/ (the catalog and the schemas only).

python -m tools.docs           # (re)write the generated files
python -m tools.docs --check   # exit 1 if the files on disk are not what would be generated
"""

import argparse
import json
import sys
from pathlib import Path

from contracts import load_catalog, load_envelope_schema, load_event_schemas
from tools.asyncapi import asyncapi_errors, build_asyncapi
from tools.events_markdown import render_events_markdown
from tools.schema_refs import inline_local_refs

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
EVENTS_MD = "events.md"
ASYNCAPI_JSON = "asyncapi.json"


class InvalidAsyncAPI(Exception):
    pass


def render() -> dict[str, str]:
    """File name (under docs/) -> the text it must have."""
    catalog = load_catalog()
    schemas = {uri: inline_local_refs(schema) for uri, schema in load_event_schemas().items()}
    document = build_asyncapi(catalog, schemas, load_envelope_schema())
    errors = asyncapi_errors(document)
    if errors:
        raise InvalidAsyncAPI("generated AsyncAPI document is invalid:\n  " + "\n  ".join(errors))
    return {
        EVENTS_MD: render_events_markdown(catalog, schemas),
        ASYNCAPI_JSON: json.dumps(document, indent=2, ensure_ascii=False) + "\n",
    }


def stale_files(docs_dir: Path = DOCS_DIR) -> list[str]:
    """The generated files that are missing from `docs_dir` or differ from what would be generated."""
    return [name for name, text in render().items() if _read(docs_dir / name) != text]


def write(docs_dir: Path = DOCS_DIR) -> list[Path]:
    docs_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        (docs_dir / name).write_text(text)
        written.append(docs_dir / name)
    return written


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the generated files are out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        if stale:
            names = ", ".join(f"docs/{name}" for name in stale)
            print(f"out of date: {names}; regenerate with `python -m tools.docs`", file=sys.stderr)
            return 1
        print("docs are up to date")
        return 0
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
