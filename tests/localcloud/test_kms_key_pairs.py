"""KMS keys behave as on AWS with their key pairs made on first use (the patch only defers them)."""

import boto3
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from moto import mock_aws
from moto.kms.models import kms_backends

from localcloud.emulator.patches import kms_key_pairs_on_first_use
from localcloud.emulator.patches.kms_key_pairs_on_first_use import KeyPairOnFirstUse

ACCOUNT, REGION = "123456789012", "eu-central-1"


@pytest.fixture
def kms(monkeypatch):
    for variable, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    kms_key_pairs_on_first_use.apply()
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


def _private_key(key_id: str) -> KeyPairOnFirstUse:
    return kms_backends[ACCOUNT][REGION].keys[key_id].private_key


def test_a_symmetric_key_encrypts_and_decrypts_and_never_makes_a_key_pair(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    blob = kms.encrypt(KeyId=key_id, Plaintext=b"tok_visa", EncryptionContext={"f": "x"})["CiphertextBlob"]

    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"f": "x"})["Plaintext"] == b"tok_visa"
    assert not _private_key(key_id).made
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"f": "y"})


def test_an_asymmetric_key_signs_verifies_and_gives_its_public_key(kms):
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
    assert not _private_key(key_id).made

    signature = kms.sign(
        KeyId=key_id, Message=b"order", MessageType="RAW", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
    )["Signature"]
    verdict = kms.verify(
        KeyId=key_id, Message=b"order", Signature=signature, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
    )
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])

    assert verdict["SignatureValid"] is True
    assert public.key_size == 2048
    # The public key KMS gives verifies what KMS signed: one key pair, made once.
    public.verify(signature, b"order", padding.PKCS1v15(), hashes.SHA256())
    assert _private_key(key_id).made
