"""protocols.keys: loading the key shapes the consoles hand out, SHA256withRSA, sandbox certificates."""
import base64

import pytest
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from protocols import keys


@pytest.fixture(scope="module")
def key_pair():
    return keys.generate_rsa_keypair()


def test_generated_pair_is_rsa_2048_pkcs8_and_spki(key_pair):
    private_pem, public_pem = key_pair
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert keys.load_private_key(private_pem).key_size == 2048


def test_signature_is_pkcs1v15_sha256_base64(key_pair):
    private_pem, public_pem = key_pair
    signature = keys.rsa_sha256_sign(private_pem, "签名 message")
    public_key = serialization.load_pem_public_key(public_pem.encode(), backend=default_backend())
    # Independent check with cryptography directly; raises if the scheme or the encoding differ.
    public_key.verify(base64.b64decode(signature), "签名 message".encode(), padding.PKCS1v15(), hashes.SHA256())


def test_verify_rejects_other_message_garbage_and_empty(key_pair):
    private_pem, public_pem = key_pair
    signature = keys.rsa_sha256_sign(private_pem, b"abc")
    assert keys.rsa_sha256_verify(public_pem, b"abc", signature)
    assert not keys.rsa_sha256_verify(public_pem, b"abd", signature)
    assert not keys.rsa_sha256_verify(public_pem, b"abc", "not base64!!")
    assert not keys.rsa_sha256_verify(public_pem, b"abc", "")


def test_bare_base64_and_pkcs1_forms_load(key_pair):
    private_pem, public_pem = key_pair
    key = keys.load_private_key(private_pem)
    pkcs1_private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()).decode()
    signature = keys.rsa_sha256_sign(keys.bare_base64(pkcs1_private), b"x")  # Alipay-style one-line key
    assert keys.rsa_sha256_verify(keys.bare_base64(public_pem), b"x", signature)
    pkcs1_public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.PKCS1).decode()
    assert pkcs1_public.startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert keys.rsa_sha256_verify(pkcs1_public, b"x", signature)
    with pytest.raises(keys.KeyFormatError):
        keys.load_public_key("definitely not a key")


def test_self_signed_certificate_serial_and_key(key_pair):
    private_pem, public_pem = key_pair
    cert_pem, serial = keys.generate_self_signed_certificate(private_pem, "sandbox", serial_number=0x1DDE55AD98ED)
    assert serial == "1DDE55AD98ED"
    assert keys.certificate_serial_hex(cert_pem) == serial
    signature = keys.rsa_sha256_sign(private_pem, b"payload")
    assert keys.rsa_sha256_verify(cert_pem, b"payload", signature)  # a certificate works as a verification key
