"""The directory mutmut runs in: the repository, re-laid so that mutmut's module names are ours.

mutmut names a module after its file's path from where it runs, and checks that the tests
import it under that name. Our handlers' packages live in `lambdas/` but are imported as
`inventory.domain` (pytest's `pythonpath`, Lambda's bundle root), so mutmut runs in
`.mutation/`, where each package of `lambdas/` is a link at the top, next to links to
everything the tests need. mutmut copies what it mutates into `.mutation/mutants/` and never
writes through the links.
"""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
WORKSPACE = REPOSITORY / ".mutation"
SETTINGS = Path(__file__).resolve().parent / "mutmut.toml"
# What the tests import or read besides lambdas/' packages (the Pulumi program runs under mocks).
LINKED = (
    "tests", "contracts", "components", "saga_client", "tools", "ops", "benchmarks", "localcloud",
    "__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml",
)  # fmt: skip


def lambda_packages() -> list[Path]:
    return sorted(path.parent for path in (REPOSITORY / "lambdas").glob("*/__init__.py"))


def prepare() -> Path:
    """Build (or refresh) the workspace; mutmut's earlier results in it are kept."""
    WORKSPACE.mkdir(exist_ok=True)
    targets = {package.name: package for package in lambda_packages()}
    targets |= {name: REPOSITORY / name for name in LINKED}
    for name, target in targets.items():
        link = WORKSPACE / name
        if link.is_symlink() and link.resolve() == target:
            continue
        link.unlink(missing_ok=True)
        link.symlink_to(Path("..") / target.relative_to(REPOSITORY))
    # pytest's settings come from the project's pyproject.toml, mutmut's are appended to it:
    # mutmut reads them only from a pyproject.toml in the directory it runs in.
    settings = (REPOSITORY / "pyproject.toml").read_text() + "\n" + SETTINGS.read_text()
    pyproject = WORKSPACE / "pyproject.toml"
    if not pyproject.exists() or pyproject.read_text() != settings:
        pyproject.write_text(settings)
    return WORKSPACE
