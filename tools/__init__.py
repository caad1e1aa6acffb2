"""Developer tools: generated docs and schema release checks from contracts/, and mutation testing.

Run them as modules from the repository root, e.g. `python -m tools.docs`,
`python -m tools.schemas check` or `python -m tools.mutation`; none of them is shipped in a
Lambda bundle.
"""
