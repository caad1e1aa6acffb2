"""The local HTTP API: payload format 2.0 in, API Gateway's response mapping out."""

import base64
import json
import urllib.error
import urllib.request

from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from localcloud.gateway.http_api import Route, build_event, select_route, translate_result
from localcloud.provisioning.deployment import state_dir


def _request(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_outputs_point_at_the_local_gateway(cloud):
    assert cloud.outputs["apiUrl"].startswith("http://127.0.0.1:")
    assert cloud.api_url("http") == cloud.outputs["apiUrl"]
    saved = json.loads((state_dir(cloud.project_dir, "dev") / "outputs.json").read_text())
    assert saved["apiUrl"] == cloud.outputs["apiUrl"]


def test_powertools_resolver_routes_the_event(cloud):
    status, _, body = _request(cloud.outputs["apiUrl"] + "orders/42?x=1&x=2&y=3", headers={"Cookie": "a=1; b=2"})
    assert status == 200
    assert body == {
        "orderId": "42",
        "query": {"x": "1,2", "y": "3"},
        "cookies": ["a=1", "b=2"],
        "routeKey": "GET /orders/{order_id}",
    }


def test_post_body_and_status_code_are_mapped(cloud):
    status, headers, body = _request(
        cloud.outputs["apiUrl"] + "orders",
        method="POST",
        body=json.dumps({"sku": "A"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 201
    assert body == {"received": {"sku": "A"}}
    assert headers["Content-Type"] == "application/json"


def test_greedy_path_route(cloud):
    status, _, body = _request(cloud.outputs["apiUrl"] + "files/a/b.txt")
    assert status == 200
    assert body == {"path": "/files/a/b.txt", "proxy": {"proxy": "a/b.txt"}}


def test_unknown_route_is_404_and_function_error_is_500(cloud):
    assert _request(cloud.outputs["apiUrl"] + "nope")[::2] == (404, {"message": "Not Found"})
    assert _request(cloud.outputs["apiUrl"] + "orders", method="DELETE")[::2] == (
        404,
        {"message": "Not Found"},
    )
    assert _request(cloud.outputs["apiUrl"] + "boom")[::2] == (
        500,
        {"message": "Internal Server Error"},
    )


def test_invoke_endpoint_reports_unhandled_errors_like_lambda(cloud):
    url = cloud.functions.invoke_url("api")
    request = urllib.request.Request(url, data=b'{"not": "an http event"}', method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Amz-Function-Error"] == "Unhandled"
        payload = json.loads(response.read())
    assert set(payload) >= {"errorMessage", "errorType"}


def test_built_event_is_a_valid_payload_v2():
    event = build_event(
        api_id="abc123",
        stage="$default",
        route_key="POST /orders/{id}",
        method="POST",
        raw_path="/orders/7",
        raw_query="a=1",
        headers=[
            ("Host", "127.0.0.1:8000"),
            ("Content-Type", "application/octet-stream"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
            ("User-Agent", "tests"),
        ],
        body=b"\x00\x01",
        source_ip="127.0.0.1",
        path_parameters={"id": "7"},
    )
    model = APIGatewayProxyEventV2Model.model_validate(event)
    assert model.requestContext.http.method == "POST"
    assert event["headers"]["x-multi"] == "1,2"
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01"
    assert event["requestContext"]["http"]["userAgent"] == "tests"
    assert "cookies" not in event


def test_route_selection_prefers_the_most_specific_route():
    routes = [
        Route.parse("$default", "d"),
        Route.parse("ANY /orders/{proxy+}", "greedy"),
        Route.parse("GET /orders/{id}", "var"),
        Route.parse("GET /orders/special", "literal"),
        Route.parse("ANY /orders/{id}", "any"),
    ]
    assert select_route(routes, "GET", "/orders/special")[0].function == "literal"
    assert select_route(routes, "GET", "/orders/9")[0].function == "var"
    assert select_route(routes, "PUT", "/orders/9")[0].function == "any"
    assert select_route(routes, "PUT", "/orders/9/lines")[0].function == "greedy"
    assert select_route(routes, "GET", "/elsewhere")[0].function == "d"
    assert select_route(routes[1:], "GET", "/elsewhere") is None


def test_response_mapping_follows_api_gateway():
    bare = translate_result({"ok": True})
    assert (bare.status, json.loads(bare.body)) == (200, {"ok": True})
    assert translate_result("hi").body == b'"hi"'
    full = translate_result(
        {
            "statusCode": 302,
            "headers": {"Location": "/x"},
            "cookies": ["s=1"],
            "body": base64.b64encode(b"bin").decode(),
            "isBase64Encoded": True,
        }
    )
    assert full.status == 302
    assert ("Set-Cookie", "s=1") in full.headers
    assert ("Location", "/x") in full.headers
    assert full.body == b"bin"


def test_a_json_body_that_is_not_utf8_reaches_the_function_base64_encoded_byte_for_byte():
    body = '{"name": "Ad\xe1"}'.encode("latin-1")
    event = build_event(
        api_id="abc123",
        stage="$default",
        route_key="$default",
        method="POST",
        raw_path="/orders",
        raw_query="",
        headers=[("Content-Type", "application/json")],
        body=body,
        source_ip="127.0.0.1",
        path_parameters={},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_a_body_over_the_payload_quota_is_413_and_never_reaches_the_function(cloud):
    status, _, body = _request(
        cloud.outputs["apiUrl"] + "orders",
        method="POST",
        body=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert (status, body) == (413, {"message": "Request Entity Too Large"})
    status, _, _ = _request(
        cloud.outputs["apiUrl"] + "orders",
        method="POST",
        body=json.dumps({"sku": "A" * (10 * 1024 * 1024 - 100)}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 201
