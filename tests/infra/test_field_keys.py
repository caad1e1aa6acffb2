"""Who may use which key, read from the key policies the program declares.

moto keeps key policies but does not enforce them, so the proof that a role without the key cannot
read an encrypted field is here: the policies are evaluated as KMS evaluates a key policy for a
principal of the account (an explicit Allow naming it, its conditions met; the account's root or
"*" as principal would let any IAM policy grant the action, so that counts as everyone).
"""

import fnmatch
import json
from typing import Any

import pytest
from saga_events.sealing import FIELD_KEY, SEALED_FIELD_KEYS, data_key_context, encryption_context

from contracts import load_catalog
from contracts.sealed import sealed_fields

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
CRYPTO_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey")
FIELDS = sealed_fields()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    def value_of(key: str) -> str | None:
        return context.get(key.removeprefix("kms:EncryptionContext:")) if key.startswith("kms:Encryption") else None

    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = value_of(key)
            if operator == "StringEquals":
                if actual not in _as_list(expected):
                    return False
            elif operator == "Null":
                if (actual is None) != (expected == "true"):
                    return False
            elif operator == "ArnLike":
                if actual is None or not any(fnmatch.fnmatchcase(actual, p) for p in _as_list(expected)):
                    return False
            else:
                raise AssertionError(f"this evaluator does not know {operator}: teach it before relying on it")
    return True


def allows(policy: dict[str, Any], principal: str, action: str, context: dict[str, str]) -> bool:
    """Whether the key policy lets `principal` (a role ARN or a service) do `action` with `context`."""
    allowed = False
    for statement in policy["Statement"]:
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in _as_list(statement["Action"])):
            continue
        named = statement["Principal"]
        principals = (
            _as_list(named) if named == "*" else _as_list(named.get("AWS", [])) + _as_list(named.get("Service", []))
        )
        if principal not in principals and not any(p == "*" or p.endswith(":root") for p in principals):
            continue
        if not _condition_holds(statement.get("Condition", {}), context):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def _key_policy(program, logical_name: str) -> dict[str, Any]:
    [key] = [k for k in program.of_type("aws:kms/key:Key") if k.name == logical_name]
    return json.loads(key.inputs["policy"])


def _roles(program) -> dict[str, str]:
    """Role ARN by logical name ("payment-worker-role", ...)."""
    return {role.name: role.outputs["arn"] for role in program.of_type("aws:iam/role:Role")}


def _functions(program) -> dict[str, dict[str, str]]:
    return {
        f.name: dict((f.inputs.get("environment") or {}).get("variables") or {})
        for f in program.of_type("aws:lambda/function:Function")
    }


def test_the_schemas_encrypt_the_token_for_payment_and_the_address_for_shipping():
    assert {(f.event_type, f.version, f.field, f.reader) for f in FIELDS} == {
        ("order.placed", 3, "encryptedPaymentMethodToken", "payment"),
        ("order.placed", 3, "encryptedShippingAddress", "shipping"),
    }
    catalog = load_catalog()
    for field in FIELDS:
        assert field.reader in catalog.contract(field.event_type, field.version).consumers


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.field)
def test_only_the_readers_worker_may_decrypt_the_field_and_only_the_producer_make_its_data_keys(program, field):
    policy = _key_policy(program, f"{field.reader}-field-key")
    context = data_key_context(field.event_type, field.field)
    producer = load_catalog().contract(field.event_type, field.version).producer
    roles = _roles(program)

    decrypters = {name for name, arn in roles.items() if allows(policy, arn, "kms:Decrypt", context)}
    key_makers = {name for name, arn in roles.items() if allows(policy, arn, "kms:GenerateDataKey", context)}
    # A field sealed before envelopes (a bare KMS ciphertext bound to its order) opens for the reader alone too.
    old_format = encryption_context(field.event_type, field.field, ORDER_ID)
    old_decrypters = {name for name, arn in roles.items() if allows(policy, arn, "kms:Decrypt", old_format)}

    assert decrypters == old_decrypters == {f"{field.reader}-worker-role"}
    assert key_makers == {f"{producer}-api-role"}
    # Envelope encryption: nobody encrypts with the field key itself, nor re-encrypts out of it.
    for action in ("kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyWithoutPlaintext"):
        assert not any(allows(policy, arn, action, context) for arn in roles.values()), action


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.field)
def test_the_key_serves_only_its_fields(program, field):
    """The order is bound by each value's associated data (tests/unit/test_sealed_fields.py), since
    one data key seals many orders' values; the key binds the event and the field."""
    policy = _key_policy(program, f"{field.reader}-field-key")
    roles = _roles(program)
    reader = roles[f"{field.reader}-worker-role"]
    producer = roles[f"{load_catalog().contract(field.event_type, field.version).producer}-api-role"]
    context = data_key_context(field.event_type, field.field)

    for principal, action in ((reader, "kms:Decrypt"), (producer, "kms:GenerateDataKey")):
        assert allows(policy, principal, action, context)
        assert not allows(policy, principal, action, {**context, "field": "somethingElse"})
        assert not allows(policy, principal, action, {**context, "event": "order.cancelled"})
        assert not allows(policy, principal, action, {})


def test_no_key_lets_the_account_grant_its_use_through_iam(program):
    """A crypto action for the account's root (or "*") would let any IAM policy in the account grant it."""
    for key in program.of_type("aws:kms/key:Key"):
        for statement in json.loads(key.inputs["policy"])["Statement"]:
            named = statement["Principal"]
            principals = ["*"] if named == "*" else _as_list(named.get("AWS", []))
            if any(p == "*" or p.endswith(":root") for p in principals):
                granted = [
                    a for a in _as_list(statement["Action"]) for c in CRYPTO_ACTIONS if fnmatch.fnmatchcase(c, a)
                ]
                # The operations key predates this rule (CloudWatch alarms and SNS use it); it holds no customer data.
                if key.name != "saga-operations-key":
                    assert granted == [], (key.name, statement["Sid"], granted)


def test_each_function_is_given_the_keys_it_uses_and_no_other(program):
    aliases = {alias.inputs["name"]: alias.inputs["targetKeyId"] for alias in program.of_type("aws:kms/alias:Alias")}
    keys = {key.outputs["arn"]: key.name for key in program.of_type("aws:kms/key:Key")}
    readers = {field.reader for field in FIELDS}
    for name, environment in _functions(program).items():
        context = name.split("-", 1)[0]
        if name.endswith("-worker-fn") and context in readers:
            assert keys[aliases[environment[FIELD_KEY]]] == f"{context}-field-key"
        else:
            assert FIELD_KEY not in environment, name
        if name == "order-api-fn":
            sealing = json.loads(environment[SEALED_FIELD_KEYS])
            assert {reader: keys[aliases[alias]] for reader, alias in sealing.items()} == {
                reader: f"{reader}-field-key" for reader in readers
            }
        else:
            assert SEALED_FIELD_KEYS not in environment, name


def test_log_groups_with_customer_data_are_encrypted_with_a_key_only_cloudwatch_logs_may_use_for_them(program):
    logs_key = next(k for k in program.of_type("aws:kms/key:Key") if k.name == "saga-logs-key")
    policy = json.loads(logs_key.inputs["policy"])
    groups = [
        g
        for g in program.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.name == "saga-event-log" or g.name.endswith("-logs")
    ]
    assert len(groups) == 1 + len(_functions(program))
    for group in groups:
        assert group.inputs.get("kmsKeyId") == logs_key.outputs["arn"], group.name
        # CloudWatch Logs names the log group in the encryption context of every call it makes.
        context = {"aws:logs:arn": group.outputs["arn"]}
        assert allows(policy, "logs.us-east-1.amazonaws.com", "kms:GenerateDataKey", context), group.name
        assert allows(policy, "logs.us-east-1.amazonaws.com", "kms:Decrypt", context), group.name
    elsewhere = {"aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:/someone/else"}
    assert not allows(policy, "logs.us-east-1.amazonaws.com", "kms:Decrypt", elsewhere)
    for name, arn in _roles(program).items():
        assert not allows(policy, arn, "kms:Decrypt", {"aws:logs:arn": groups[0].outputs["arn"]}), name
