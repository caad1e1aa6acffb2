"""Developer tools that derive artefacts from contracts/: generated docs and schema release checks.

Run them as modules from the repository root, e.g. `python -m tools.docs` or
`python -m tools.schemas check`; none of them is shipped in a Lambda bundle.
"""
