"""A patched moto server with nothing deployed, and moto's own count of its live objects."""

import json
import urllib.request
import uuid
from typing import Any

from localcloud.emulator.clients import client


def model_counts(endpoint_url: str) -> dict[str, dict[str, int]]:
    """Live model objects per service and model, as moto's own dashboard lists them."""
    with urllib.request.urlopen(f"{endpoint_url}/moto-api/data.json", timeout=30) as response:
        data = json.load(response)
    return {service: {name: len(objects) for name, objects in models.items()} for service, models in data.items()}


def streamed_table(endpoint_url: str) -> tuple[str, str]:
    """A fresh table shaped like the orders table (pk, sk) with a NEW_AND_OLD_IMAGES stream."""
    dynamodb = client("dynamodb", endpoint_url)
    name = f"orders-{uuid.uuid4().hex[:8]}"
    description = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return name, description["LatestStreamArn"]


def shard_iterator(endpoint_url: str, stream_arn: str, iterator_type: str = "LATEST", **position: Any) -> str:
    streams = client("dynamodbstreams", endpoint_url)
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    return streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type, **position
    )["ShardIterator"]
