"""The syndicate's evidence signing key: Ed25519, beside the journal's key.

The key is created and read by the journal checkpoints' code (``vigie.audit.
checkpoints.load_key``: 32 bytes of hex, mode 0600, a ``.pub`` beside it) but it is a
key of its own, ``DATA_DIR/evidence-signing.key`` (or ``VIGIE_EVIDENCE_KEY_FILE``), so
that evidence and the journal can be rotated apart. Signatures here are over the raw
bytes of the file signed, without any prefix, so that standard tools check them:

    openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\
        -in manifest.json -sigfile manifest.json.sig
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from vigie.audit.checkpoints import CheckpointError, Key, load_key, public_key_file

KEY_FILE_NAME = "evidence-signing.key"


class SigningKeyError(ValueError):
    """A key cannot be read (missing, not Ed25519, unreadable)."""


def default_key_file() -> Path:
    from django.conf import settings

    configured = getattr(settings, "VIGIE_EVIDENCE_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / KEY_FILE_NAME


def signing_key(path: Path | None = None) -> Key:
    """The private key that signs packages, created on first use."""
    try:
        key = load_key(path or default_key_file(), create=True)
    except CheckpointError as exc:
        raise SigningKeyError(str(exc).replace("checkpoint key", "evidence signing key")) from exc
    if key.secret is None:
        raise SigningKeyError(f"{path}: a public key cannot sign packages")
    return key


def local_public_key() -> bytes | None:
    """The raw public key of this installation's signing key, if there is one."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        path = default_key_file()
    except (ImproperlyConfigured, AttributeError):  # no settings: an expert's machine
        return None
    for candidate in (public_key_file(path), path):
        if candidate.is_file():
            try:
                return load_key(candidate).public
            except CheckpointError:
                continue
    return None


def sign(key: Key, data: bytes) -> bytes:
    """A detached Ed25519 signature (64 raw bytes) of ``data``."""
    assert key.secret is not None
    return Ed25519PrivateKey.from_private_bytes(key.secret).sign(data)


def verify(public: bytes, data: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_pem(public: bytes) -> bytes:
    return Ed25519PublicKey.from_public_bytes(public).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, in hex."""
    return hashlib.sha256(public).hexdigest()


def fingerprint_text(public: bytes) -> str:
    return f"SHA256 (Ed25519 public key, 32 raw bytes) = {fingerprint(public)}\n"


def read_public_key(data: bytes) -> bytes:
    """The raw public key in a PEM file, a ``.pub`` (hex) file or a private key file
    (hex) of ours."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        try:
            loaded = serialization.load_pem_public_key(text)
        except ValueError:
            try:
                private = serialization.load_pem_private_key(text, password=None)
            except (ValueError, TypeError) as exc:
                raise SigningKeyError(f"not a PEM key ({exc})") from exc
            if not isinstance(private, Ed25519PrivateKey):
                raise SigningKeyError("not an Ed25519 key") from None
            return private.public_key().public_bytes_raw()
        if not isinstance(loaded, Ed25519PublicKey):
            raise SigningKeyError("not an Ed25519 public key")
        return loaded.public_bytes_raw()
    try:
        raw = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SigningKeyError("neither a PEM key nor 32 bytes of hex") from exc
    if len(raw) != 32:
        raise SigningKeyError("neither a PEM key nor 32 bytes of hex")
    return raw


def read_public_key_file(path: Path) -> bytes:
    """The raw public key of a key file: our own private key files sign (hex, no
    ``.pub`` suffix) and are read as such."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the key {path}: {exc}") from exc
    if path.suffix not in (".pub", ".pem") and not data.strip().startswith(b"-----BEGIN"):
        try:
            return load_key(path).public
        except CheckpointError as exc:
            raise SigningKeyError(str(exc)) from exc
    return read_public_key(data)
