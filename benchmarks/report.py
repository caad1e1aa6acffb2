"""docs/performance.md: each benchmark run with `--write-docs` rewrites its own section.

A section lives between `<!-- <name>:start -->` and `<!-- <name>:end -->`, so the
benchmarks can be run one at a time and each keeps the other's figures.
"""

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

PERFORMANCE_DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"

_PREAMBLE = """# Performance

Figures measured by the scripts in `benchmarks/`; each one rewrites its own section below
when run with `--write-docs`. They are this machine's figures, not AWS's: compare the ratios,
which are measured in the same run, rather than the absolute times.
"""


def machine() -> str:
    """The machine in one line: CPU, cores, Python and the OS."""
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({sys.implementation.name}), {platform.system()} {platform.machine()}"
    )


def write_section(name: str, body: str, doc: Path = PERFORMANCE_DOC, preamble: str = _PREAMBLE) -> Path:
    """Replace (or append) the section `name` of `doc` (docs/performance.md) with `body`; a new
    document starts with `preamble`."""
    begin, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamped = f"{begin}\n{body.rstrip()}\n\n_Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}._\n{end}"
    text = doc.read_text() if doc.exists() else preamble
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
        text = f"{before}{stamped}{after}"
    else:
        text = f"{text.rstrip()}\n\n{stamped}\n"
    doc.write_text(text)
    return doc


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
