"""DynamoDB tables, with streams and TTL."""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int, drop_none, tag_list

TABLE = "aws:dynamodb/table:Table"


def _key_schema(spec: dict[str, Any]) -> list[dict[str, str]]:
    if schemas := spec.get("keySchemas"):
        return [{"AttributeName": s["attributeName"], "KeyType": s["keyType"]} for s in schemas]
    keys = [{"AttributeName": spec["hashKey"], "KeyType": "HASH"}]
    if spec.get("rangeKey"):
        keys.append({"AttributeName": spec["rangeKey"], "KeyType": "RANGE"})
    return keys


def _projection(spec: dict[str, Any]) -> dict[str, Any]:
    return drop_none({"ProjectionType": spec["projectionType"], "NonKeyAttributes": spec.get("nonKeyAttributes")})


def _throughput(spec: dict[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": as_int(spec.get("readCapacity")) or 1,
        "WriteCapacityUnits": as_int(spec.get("writeCapacity")) or 1,
    }


def create_table(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, TABLE, 255)
    billing = inputs.get("billingMode") or "PROVISIONED"
    provisioned = billing == "PROVISIONED"
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": _key_schema(inputs),
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
        ],
        "BillingMode": billing,
    }
    if provisioned:
        kwargs["ProvisionedThroughput"] = _throughput(inputs)
    if gsis := inputs.get("globalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": g["name"],
                "KeySchema": _key_schema(g),
                "Projection": _projection(g),
                **({"ProvisionedThroughput": _throughput(g)} if provisioned else {}),
            }
            for g in gsis
        ]
    if lsis := inputs.get("localSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = [
            {
                "IndexName": lsi["name"],
                "KeySchema": [
                    {"AttributeName": inputs["hashKey"], "KeyType": "HASH"},
                    {"AttributeName": lsi["rangeKey"], "KeyType": "RANGE"},
                ],
                "Projection": _projection(lsi),
            }
            for lsi in lsis
        ]
    if inputs.get("streamEnabled"):
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": inputs["streamViewType"],
        }
    if (sse := inputs.get("serverSideEncryption")) and sse.get("enabled"):
        kwargs["SSESpecification"] = drop_none(
            {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse.get("kmsKeyArn")}
        )
    if inputs.get("tableClass"):
        kwargs["TableClass"] = inputs["tableClass"]
    if inputs.get("deletionProtectionEnabled") is not None:
        kwargs["DeletionProtectionEnabled"] = inputs["deletionProtectionEnabled"]
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    dynamodb = p.client("dynamodb")
    table = dynamodb.create_table(**kwargs)["TableDescription"]
    if (ttl := inputs.get("ttl")) and ttl.get("enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    state = {**inputs, "name": name, "arn": table["TableArn"], "billingMode": billing}
    if table.get("LatestStreamArn"):
        state["streamArn"] = table["LatestStreamArn"]
        state["streamLabel"] = table["LatestStreamLabel"]
    return name, state


HANDLERS: dict[str, Handler] = {TABLE: create_table}
