"""Fixes to what moto's server pays for each request, and that EventBridge still delivers as AWS does.

The patches change no behaviour: the same event reaches the same queue in the same shape, with an
InputTransformer's template filled in; only the work per request is gone."""

import json
import os

import boto3
import pytest
from moto import mock_aws

from localcloud.emulator.patches import eventbridge_input_paths_parsed_once, server_routes_without_listing

REGION = "eu-central-1"


@pytest.fixture
def aws(monkeypatch):
    for variable, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    eventbridge_input_paths_parsed_once.apply()
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def test_a_rules_input_paths_are_parsed_once_and_fill_its_template(aws, monkeypatch):
    import jsonpath_ng.ext

    events, sqs = aws("events"), aws("sqs")
    queue = sqs.create_queue(QueueName="transformed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["saga.order"]}))
    events.put_targets(
        Rule="orders",
        Targets=[
            {
                "Id": "q",
                "Arn": arn,
                "InputTransformer": {
                    "InputPathsMap": {"order": "$.detail.orderId", "type": "$.detail-type"},
                    "InputTemplate": '{"order": "<order>", "type": "<type>"}',
                },
            }
        ],
    )
    parsed = jsonpath_ng.ext.parse.cache_info().currsize

    for order in ("o-1", "o-2"):
        events.put_events(
            Entries=[{"Source": "saga.order", "DetailType": "order.placed", "Detail": json.dumps({"orderId": order})}]
        )

    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(bodies, key=lambda b: b["order"]) == [
        {"order": "o-1", "type": "order.placed"},
        {"order": "o-2", "type": "order.placed"},
    ]
    # Two events, two paths: each expression parsed at most once, whatever the number of events.
    assert jsonpath_ng.ext.parse.cache_info().currsize - parsed <= 2
    assert jsonpath_ng.ext.parse.cache_info().hits >= 2


def test_a_request_is_routed_without_listing_motos_package(monkeypatch):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    server_routes_without_listing.apply()
    dispatcher = DomainDispatcherApplication(create_backend_app)

    def no_listing(path):
        raise AssertionError(f"listed {path} to route a request")

    monkeypatch.setattr(os, "listdir", no_listing)
    assert dispatcher.get_backend_for_host("sqs") == "sqs"
    assert dispatcher.get_backend_for_host("dynamodb") == "dynamodb"
    assert dispatcher.get_backend_for_host("sqs.eu-central-1.amazonaws.com") == "sqs"


def test_the_server_logs_the_requests_it_failed_and_no_others():
    from http import HTTPStatus

    from localcloud.emulator.server import _quiet_request_handler

    handler = object.__new__(_quiet_request_handler())
    handler.path, handler.command, handler.request_version = "/", "POST", "HTTP/1.1"
    logged: list[str] = []
    handler.log = lambda kind, message, *args: logged.append(message % args)

    for answered in (200, HTTPStatus.OK, 204, 400, HTTPStatus.NOT_FOUND):
        handler.log_request(answered)
    assert logged == []
    handler.log_request(HTTPStatus.INTERNAL_SERVER_ERROR)
    handler.log_request(503)
    assert len(logged) == 2 and "500" in logged[0] and "503" in logged[1]
