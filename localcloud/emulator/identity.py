"""Identity of the embedded cloud: one account, one region, dummy credentials."""

from __future__ import annotations

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"

# moto accepts any credentials; real-looking dummies keep botocore's signer happy.
DUMMY_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """Environment variables that point any AWS SDK at the embedded cloud."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **DUMMY_CREDENTIALS,
    }
