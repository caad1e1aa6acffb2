"""boto3 clients bound to the embedded cloud, independent of the caller's environment."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from localcloud.emulator.identity import DUMMY_CREDENTIALS, REGION


def client(service: str, endpoint_url: str, **config: Any) -> Any:
    # An explicit session keeps ~/.aws profiles and real credentials out of the picture.
    session = boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=REGION,
    )
    return session.client(
        service,
        endpoint_url=endpoint_url,
        config=Config(**{"retries": {"max_attempts": 2, "mode": "standard"}, **config}),
    )
