"""`./run up`: the saga on the embedded cloud, seeded with the demo's stock, until Ctrl-C.

Prints what a newcomer needs next: how to sign in as the demo customer (a token), a request to
paste that places an order, the API's OpenAPI document, how to watch the order move, and where
the function logs are.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from demo.scenarios import DEMO_CUSTOMER, STOCK
from localcloud.emulator.identity import REGION
from saga_client import SagaTarget
from saga_client.operations import seed_stock
from saga_client.orders import order_request

PROJECT_DIR = Path(__file__).resolve().parents[1]


def first_order() -> dict[str, Any]:
    """The order the printed request places: in stock, paid, shipped, so it is CONFIRMED."""
    return order_request(("MUG-RED", 1))


def sign_in_command(cognito_url: str, client_id: str, customer: str, password: str) -> str:
    """Cognito's InitiateAuth (USER_PASSWORD_AUTH) with curl alone, as an app signs a customer in."""
    request = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": client_id,
        "AuthParameters": {"USERNAME": customer, "PASSWORD": password},
    }
    read_token = "import json,sys; print(json.load(sys.stdin)['AuthenticationResult']['AccessToken'])"
    return (
        f"export TOKEN=$(curl -s -X POST {shlex.quote(cognito_url)} "
        "-H 'x-amz-target: AWSCognitoIdentityProviderService.InitiateAuth' "
        "-H 'content-type: application/x-amz-json-1.1' "
        f"-d {shlex.quote(json.dumps(request, separators=(',', ':')))} | python3 -c {shlex.quote(read_token)})"
    )


def place_order_command(api_url: str) -> str:
    body = json.dumps(first_order(), separators=(",", ":"))
    return (
        f'curl -s -X POST {shlex.quote(api_url.rstrip("/") + "/orders")} -H "authorization: Bearer $TOKEN" '
        f"-H 'content-type: application/json' -d {shlex.quote(body)}"
    )


def watch_order_command(api_url: str) -> str:
    return f'curl -s -H "authorization: Bearer $TOKEN" {shlex.quote(api_url.rstrip("/") + "/orders/")}<orderId>'


def e2e_command(endpoint_url: str, outputs: Path) -> str:
    """The suite as it runs against a deployed stack: its outputs file, AWS's environment variables."""
    environment = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "emulated",
        "AWS_SECRET_ACCESS_KEY": "emulated",
        "SAGA_STACK_OUTPUTS": str(outputs),
    }
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in environment.items())
    return f"{assignments} ./run test tests/e2e -n 1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run up", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--verbose", action="store_true", help="echo every function's log lines here too")
    args = parser.parse_args(argv)

    from localcloud import EmbeddedCloud
    from localcloud.provisioning.deployment import state_dir

    started = time.monotonic()
    with EmbeddedCloud.start(PROJECT_DIR, args.stack, echo=sys.stderr if args.verbose else None) as cloud:
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url, worker_switch=cloud.functions)
        seed_stock(saga, STOCK)
        # Ada exists in the user pool from now on, with a password of this run's.
        saga.customers.token(DEMO_CUSTOMER)
        sign_in = sign_in_command(
            cloud.endpoint_url, saga.outputs["customerUserPoolClientId"], DEMO_CUSTOMER, saga.customers.password
        )
        api = saga.api_url
        outputs = state_dir(PROJECT_DIR, args.stack) / "outputs.json"
        logs = cloud.functions.logs_dir if cloud.functions else None
        print(
            f"The order saga is up on the embedded cloud ({time.monotonic() - started:.1f}s); stock: {STOCK}\n\n"
            f"Sign in as the demo customer, {DEMO_CUSTOMER} (every order route wants a token; it lasts 60 minutes):\n"
            f"  {sign_in}\n\n"
            f"Place an order as her:\n  {place_order_command(api)}\n\n"
            f"Watch it move (status and timeline; CONFIRMED within a second or two):\n"
            f"  {watch_order_command(api)}\n\n"
            f"The API's OpenAPI document: {api}/openapi.json\n"
            "Cancel an order that is not yet confirmed:\n"
            f"  curl -s -X POST -H 'authorization: Bearer '$TOKEN {api}/orders/<orderId>/cancel\n"
            f"Function logs: {logs}{'' if args.verbose else ' (--verbose echoes them here)'}\n"
            f"AWS endpoint for the CLI or boto3 (Lambda's API too; any credentials sign):\n"
            f"  export AWS_ENDPOINT_URL={cloud.endpoint_url}\n"
            f"Stack outputs (every resource's name): {outputs}\n"
            "The e2e suite against it, as against a deployed stack (another terminal, while this one is quiet):\n"
            f"  {e2e_command(cloud.endpoint_url, outputs)}\n\n"
            "Running; Ctrl-C stops.",
            flush=True,
        )
        cloud.serve_until_stopped(sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
