"""RSA key handling shared by the WeChat Pay and Alipay protocol modules.

Both channels sign with SHA256withRSA, i.e. RSASSA-PKCS1-v1_5 over SHA-256, Base64 of the raw signature
(docs/protocols/: wechatpay.md#signing, wechatpay.md#verifying, alipay.md#signing). This module loads
keys in the shapes the two consoles hand out and signs/verifies; it also makes throw-away keys and self-signed
certificates for test doubles of the platforms.

Pure Python: stdlib + ``cryptography`` (written against the 3.4.8 API, hence the explicit ``backend=``).
Nothing here logs or prints key material.
"""
import base64
import binascii
import datetime
import functools
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_PEM_MARKER = "-----BEGIN"


class KeyFormatError(ValueError):
    """The text given as a key or certificate could not be loaded."""


def _text(value):
    return value.decode("ascii") if isinstance(value, bytes) else value


def _bare_base64_to_der(text):
    """Alipay's console shows keys as one bare Base64 line without PEM armour; accept that too."""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError("not PEM and not Base64 DER") from exc


@functools.lru_cache(maxsize=64)
def load_private_key(key_text):
    """Load an RSA private key from PKCS#8 or PKCS#1 PEM, or from bare Base64 DER (either structure).

    WeChat's ``apiclient_key.pem`` is PKCS#8 PEM; Alipay's key tool emits bare Base64 (PKCS#8 for Java,
    PKCS#1 for the official Python SDK, README.md#independent-verifiers). Cached because parsing a key costs more than
    signing.
    """
    key_text = _text(key_text).strip()
    try:
        if key_text.startswith(_PEM_MARKER):
            key = serialization.load_pem_private_key(key_text.encode("ascii"), password=None, backend=default_backend())
        else:
            key = serialization.load_der_private_key(_bare_base64_to_der(key_text), password=None,
                                                     backend=default_backend())
    except (ValueError, TypeError) as exc:
        raise KeyFormatError("cannot load the private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFormatError("the private key is not an RSA key")
    return key


@functools.lru_cache(maxsize=128)
def load_public_key(key_or_cert_text):
    """Load an RSA public key from a public-key PEM (SPKI or PKCS#1), an X.509 certificate PEM or bare Base64.

    Accepting certificates and bare keys alike is what lets one verifier serve both WeChat's
    platform-certificate mode and its public-key (``PUB_KEY_ID_…``) mode (wechatpay.md#verifying), and Alipay's public
    key.
    """
    text = _text(key_or_cert_text).strip()
    try:
        if "-----BEGIN CERTIFICATE-----" in text:
            key = x509.load_pem_x509_certificate(text.encode("ascii"), default_backend()).public_key()
        elif text.startswith(_PEM_MARKER):
            key = serialization.load_pem_public_key(text.encode("ascii"), backend=default_backend())
        else:
            key = serialization.load_der_public_key(_bare_base64_to_der(text), backend=default_backend())
    except (ValueError, TypeError) as exc:
        raise KeyFormatError("cannot load the public key or certificate") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFormatError("the public key is not an RSA key")
    return key


def rsa_sha256_sign(private_key_text, message):
    """SHA256withRSA (PKCS#1 v1.5) over ``message`` (str is UTF-8 encoded); returns the Base64 signature."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    signature = load_private_key(private_key_text).sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_sha256_verify(public_key_text, message, signature_b64):
    """True when ``signature_b64`` is a valid SHA256withRSA signature of ``message`` under the key/certificate."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    try:
        signature = base64.b64decode(signature_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        return False
    if not signature:
        return False
    try:
        load_public_key(public_key_text).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def public_key_pem(private_key_text):
    """The SPKI PEM of the public half of a private key (what a platform gives out as 'the public key')."""
    public_key = load_private_key(private_key_text).public_key()
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def bare_base64(pem_text):
    """Strip PEM armour and line breaks, giving the one-line Base64 form used in Alipay's console."""
    lines = _text(pem_text).strip().splitlines()
    return "".join(line.strip() for line in lines if line and not line.startswith("-----"))


def generate_rsa_keypair(key_size=2048):
    """A fresh RSA key pair as (private PKCS#8 PEM, public SPKI PEM) strings, for test doubles and tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size, backend=default_backend())
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
    return private_pem, public_key_pem(private_pem)


def certificate_serial_hex(cert_pem):
    """The certificate serial as WeChat Pay writes it: upper-case hexadecimal without separators."""
    cert = x509.load_pem_x509_certificate(_text(cert_pem).encode("ascii"), default_backend())
    return format(cert.serial_number, "X")


def certificate_bundle(text):
    """The PEM certificates of ``text`` (one certificate, or several pasted or downloaded one after another)."""
    return re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", _text(text or ""), re.S)


def certificate_expiry(cert_pem):
    """When the certificate stops being valid (aware UTC datetime)."""
    cert = x509.load_pem_x509_certificate(_text(cert_pem).encode("ascii"), default_backend())
    return cert.not_valid_after.replace(tzinfo=datetime.UTC)  # naive UTC in cryptography 3.4


def generate_self_signed_certificate(private_key_text, common_name, serial_number=None, valid_days=1825, now=None):
    """A self-signed X.509 certificate for ``private_key_text``; returns (certificate PEM, serial hex).

    Stands in for a merchant API certificate or a WeChat Pay platform certificate in a test double.
    ``serial_number`` (int) makes the serial predictable in tests; otherwise it is random (160 bits max).
    """
    key = load_private_key(private_key_text)
    now = now or datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial_number if serial_number is not None else x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .sign(key, hashes.SHA256(), default_backend())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return cert_pem, format(certificate.serial_number, "X")
