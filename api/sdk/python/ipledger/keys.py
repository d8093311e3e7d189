"""Ed25519 keys, the project's key files, and C2SP signed-note verifier keys.

A key file is one line: the standard base64 (with padding) of the 32-byte Ed25519 seed,
followed by a newline, created with mode 0600. Like the `ipledger` CLI, the SDK refuses
to read a key file that group or others can access.

A verifier key (vkey, c2sp.org/signed-note) is `<name>+<key hash, 8 hex>+<base64(0x01 ||
32-byte public key)>`; the key hash is the first 4 bytes, big-endian, of
SHA-256(name || 0x0A || 0x01 || public key).
"""

import base64
import hashlib
import os
import stat

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import FormatError

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw


def b64decode_strict(text, what="value"):
    """Standard base64 with padding, canonical (re-encodes to the same text)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as e:
        raise FormatError(f"{what} is not base64: {e}") from None
    if base64.b64encode(raw).decode() != text:
        raise FormatError(f"{what} is not canonical base64")
    return raw


def b64(data):
    return base64.b64encode(data).decode()


class SigningKey:
    """An Ed25519 private key, with the key id it signs as (`participant/label`), if any."""

    def __init__(self, seed, keyid=None):
        if len(seed) != 32:
            raise FormatError("an Ed25519 seed is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(bytes(seed))
        self.keyid = keyid

    @classmethod
    def generate(cls, keyid=None):
        return cls(os.urandom(32), keyid)

    def seed(self):
        return self._key.private_bytes(_RAW, _RAW_PRIV, serialization.NoEncryption())

    def public_key(self):
        """The 32 raw bytes of the public key."""
        return self._key.public_key().public_bytes(_RAW, _RAW_PUB)

    def public_key_b64(self):
        """The public key as the registry's statements carry it (`ed25519` field)."""
        return b64(self.public_key())

    def sign(self, message):
        return self._key.sign(bytes(message))


def verify_ed25519(public_key, message, signature):
    """True if `signature` (64 bytes) is `public_key`'s (32 bytes) signature of `message`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), bytes(message))
        return True
    except InvalidSignature:
        return False


def write_key_file(path, key):
    """Writes `key`'s seed to a new file (mode 0600); never overwrites one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (b64(key.seed()) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key_file(path, keyid=None):
    """Reads a key file; refuses one that group or others can access, or a malformed one."""
    mode = os.stat(path).st_mode
    if mode & 0o077:
        raise FormatError(
            f"key file {path} has mode {stat.S_IMODE(mode):03o}: group or others can access "
            f"it; run chmod 600 {path}")
    with open(path, "rb") as f:
        text = f.read().decode("ascii", "replace")
    if text.endswith("\n"):
        text = text[:-1]
    try:
        seed = b64decode_strict(text, "key file")
    except FormatError:
        seed = b""
    if len(seed) != 32:
        raise FormatError(f"key file {path} is not one line of base64 of a 32-byte Ed25519 seed")
    return SigningKey(seed, keyid)


def key_hash(name, public_key):
    """The 4-byte signed-note key hash of an Ed25519 key (signature type 0x01), as an int."""
    digest = hashlib.sha256(name.encode() + b"\n" + b"\x01" + bytes(public_key)).digest()
    return int.from_bytes(digest[:4], "big")


def _valid_key_name(name):
    return name != "" and all(c not in name for c in "+ ") and all(
        0x20 < ord(c) != 0x7F for c in name)


class NoteVerifier:
    """A signed-note verifier key: name, key hash, Ed25519 public key."""

    def __init__(self, name, public_key):
        if not _valid_key_name(name):
            raise FormatError(f"bad key name {name!r}")
        if len(public_key) != 32:
            raise FormatError("an Ed25519 public key is 32 bytes")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_hash = key_hash(name, public_key)

    @classmethod
    def parse(cls, vkey):
        """Parses a vkey line (a trailing newline is allowed)."""
        vkey = vkey.strip("\n") if isinstance(vkey, str) else vkey.decode().strip("\n")
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise FormatError(f"verifier key {vkey!r} is not name+hash+key")
        name, hash_hex, key_b64 = parts
        if len(hash_hex) != 8 or any(c not in "0123456789abcdef" for c in hash_hex):
            raise FormatError(f"verifier key hash {hash_hex!r} is not 8 lowercase hex digits")
        raw = b64decode_strict(key_b64, "verifier key")
        if len(raw) != 33 or raw[0] != 0x01:
            raise FormatError("verifier key is not an Ed25519 (type 0x01) key")
        v = cls(name, raw[1:])
        if v.key_hash != int(hash_hex, 16):
            raise FormatError(f"verifier key hash {hash_hex} does not match its name and key")
        return v

    def format(self):
        key = b64(bytes([0x01]) + self.public_key)
        return f"{self.name}+{self.key_hash:08x}+{key}"

    def verify(self, message, signature):
        return verify_ed25519(self.public_key, message, signature)
