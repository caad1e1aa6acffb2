"""What goes into a function's bundle.

Its context's code, the shared event library and the contracts.
"""

import pulumi

LAMBDAS_DIR = "lambdas"
SHARED_PACKAGES = {
    "saga_events": f"{LAMBDAS_DIR}/saga_events",
    # The schemas ride along so the publish and receive paths validate offline.
    "contracts": "contracts",
}


def function_bundle(context: str) -> pulumi.AssetArchive:
    return pulumi.AssetArchive(
        {
            context: pulumi.FileArchive(f"{LAMBDAS_DIR}/{context}"),
            **{name: pulumi.FileArchive(path) for name, path in SHARED_PACKAGES.items()},
        }
    )
