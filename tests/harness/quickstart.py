"""What `./run up` prints for a person to paste: the sign-in, the POST and the GET that watches."""

from typing import NamedTuple


class PastedCommands(NamedTuple):
    place: str  # places the order; answers {"orderId": ..., "status": "PENDING"}
    watch: str  # shows the order, once `<orderId>` is replaced


def pasted_commands(printed: list[str]) -> PastedCommands:
    """Each printed command as pasted into the same shell: the sign-in's TOKEN serves the others."""
    lines = [line.strip() for line in printed]
    sign_in = next(line for line in lines if line.startswith("export TOKEN="))
    place = next(line for line in lines if line.startswith("curl -s -X POST"))
    watch = next(line for line in lines if line.startswith("curl -s -H"))
    return PastedCommands(f"{sign_in}; {place}", f"{sign_in}; {watch}")
