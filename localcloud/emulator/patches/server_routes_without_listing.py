"""moto's server routes a request without listing its own package.

`DomainDispatcherApplication.get_backend_for_host` asks `backends.list_of_moto_modules()` for
every request, and that lists moto's package directory and stats each entry: about 6% of the
server's CPU under load (py-spy, a chaos run), under the dispatcher's one lock. The package does
not change while the server runs, so it is listed once.
"""

from __future__ import annotations

from collections.abc import Iterable

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source


def apply() -> None:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if is_patched(backends.list_of_moto_modules):
        return
    require_source(
        DomainDispatcherApplication.get_backend_for_host,
        "server_routes_without_listing",
        "if host in backends.list_of_moto_modules():",
    )
    listed = tuple(backends.list_of_moto_modules())
    require(listed, "server_routes_without_listing", "moto lists no service modules")

    def list_of_moto_modules() -> Iterable[str]:
        return listed

    backends.list_of_moto_modules = mark_patched(list_of_moto_modules)
