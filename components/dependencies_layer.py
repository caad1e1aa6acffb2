"""The functions' dependencies layer: built by `./run layer`, packaged by the platform component.

Pulumi would fail deep inside packaging (or, worse, upload a stale layer) when the folder is
missing or was built from other requirements. The program checks first and says what to run.
"""

from pathlib import Path

import pulumi

REQUIREMENTS = Path("lambdas") / "requirements.txt"
# scripts/build_layer.py copies the requirements it installed here, beside the `python/` folder.
BUILT_FROM = "requirements.txt"


def built_layer(path: str, requirements: Path = REQUIREMENTS) -> str:
    """`path`, once it holds a layer built from today's `lambdas/requirements.txt`."""
    folder = Path(path)
    how = "Build it with `./run layer` (README: Deploying for real), then run `pulumi up` again."
    if not (folder / "python").is_dir():
        raise pulumi.RunError(f"The functions' dependencies layer is missing: no {folder / 'python'}. {how}")
    built_from = folder / BUILT_FROM
    if not built_from.is_file() or built_from.read_text() != requirements.read_text():
        raise pulumi.RunError(
            f"The functions' dependencies layer in {folder} was built from other requirements than "
            f"{requirements}. {how}"
        )
    return path
