"""The status map (docs/formats.md, "Status map" and "Status record and root entry"):
map proofs of presence and absence, asset status records, the signed map root statement
(ipledger.map-root/v1), and the check of the `status_map` member of a pledge-status or
coverage answer. Everything here works offline with the log's verifier key alone.
"""

import base64
import hashlib
import re

from . import merkle
from .errors import FormatError, VerificationError
from .note import open_note

EMPTY = bytes(32)
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _sha(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def map_key(asset):
    """The map key of an asset id: SHA-256 of its UTF-8 bytes."""
    return _sha(asset.encode("utf-8"))


def _bit(key, i):
    return (key[i // 8] >> (7 - i % 8)) & 1


class MapProof:
    def __init__(self, kind, siblings, other_key=None, other_value_hash=None):
        self.kind, self.siblings = kind, siblings
        self.other_key, self.other_value_hash = other_key, other_value_hash


def decode_map_proof(data):
    """Decodes a map proof strictly (kind, depth, siblings, for kind 2 the other leaf)."""
    data = bytes(data)
    if len(data) < 2 or data[0] > 2:
        raise FormatError("map proof: no kind 0, 1 or 2")
    kind, d = data[0], data[1]
    want = 2 + 32 * d + (64 if kind == 2 else 0)
    if len(data) != want:
        raise FormatError(f"map proof of kind {kind} and depth {d} is {len(data)} bytes, "
                          f"not {want}")
    siblings = [data[2 + 32 * i:34 + 32 * i] for i in range(d)]
    if kind == 2:
        return MapProof(kind, siblings, data[2 + 32 * d:34 + 32 * d], data[34 + 32 * d:])
    return MapProof(kind, siblings)


def verify_map_proof(root, key, value_hash, proof):
    """Checks `proof` (bytes) that `key` maps to `value_hash` (32 bytes), or, with
    value_hash None, that `key` is absent, against the map `root`. VerificationError if not."""
    p = decode_map_proof(proof)
    d = len(p.siblings)
    if p.kind == 0:
        if value_hash is None:
            raise VerificationError("map proof: a proof of presence where absence is claimed")
        h = _sha(b"\x00", key, value_hash)
    elif value_hash is not None:
        raise VerificationError("map proof: a proof of absence where presence is claimed")
    elif p.kind == 1:
        h = EMPTY
    else:
        if p.other_key == key or any(_bit(p.other_key, i) != _bit(key, i) for i in range(d)):
            raise VerificationError("map proof: the other leaf is not on the key's path")
        h = _sha(b"\x00", p.other_key, p.other_value_hash)
    for i in range(d - 1, -1, -1):
        h = _sha(b"\x01", p.siblings[i], h) if _bit(key, i) else _sha(b"\x01", h, p.siblings[i])
    if h != root:
        raise VerificationError("map proof does not lead to the map root")


class StatusRecord:
    """An asset status record: the asset, the index of its last change, and the indexes of
    its active pledge registrations and of its policies not cancelled."""

    def __init__(self, asset, last_change, pledges, policies):
        self.asset, self.last_change = asset, last_change
        self.pledges, self.policies = pledges, policies


def decode_status_record(data):
    """Decodes a status record strictly (version 1, big-endian, ascending lists)."""
    data = bytes(data)
    pos = 0

    def take(n, what):
        nonlocal pos
        if pos + n > len(data):
            raise FormatError(f"status record: truncated {what}")
        pos += n
        return data[pos - n:pos]

    if take(1, "version") != b"\x01":
        raise FormatError("status record: unknown version")
    n = int.from_bytes(take(2, "asset id length"), "big")
    if n == 0:
        raise FormatError("status record: empty asset id")
    raw_asset = take(n, "asset id")
    last_change = int.from_bytes(take(8, "last change"), "big")
    lists = []
    for what in ("pledge list", "policy list"):
        count = int.from_bytes(take(4, what), "big")
        items = [int.from_bytes(take(8, what), "big") for _ in range(count)]
        if any(b <= a for a, b in zip(items, items[1:])):
            raise FormatError(f"status record: {what} is not strictly ascending")
        lists.append(items)
    if pos != len(data):
        raise FormatError("status record: trailing bytes")
    return StatusRecord(raw_asset.decode("utf-8", "surrogateescape"), last_change, *lists)


def open_map_root(note, verifier):
    """Verifies a signed map root statement with the log key; returns (version, count, root)."""
    text = open_note(note, verifier)
    if not text.endswith("\n"):
        raise FormatError("map root statement: the last line has no newline")
    lines = text[:-1].split("\n")
    names = ("origin", "version", "covers", "count", "root")
    if len(lines) != 6 or lines[0] != "ipledger.map-root/v1":
        raise FormatError("not an ipledger.map-root/v1 statement")
    values = []
    for name, line in zip(names, lines[1:]):
        key, sep, value = line.partition(" ")
        if key != name or not value or " " in value:
            raise FormatError(f"map root statement: line {line!r} is not '{name} <value>'")
        values.append(value)
    origin, version, covers, count, root = values
    nums = []
    for name, v in (("version", version), ("covers", covers), ("count", count)):
        if not _DECIMAL.fullmatch(v) or int(v) >= 1 << 64:
            raise FormatError(f"map root statement: {name} is not a canonical decimal")
        nums.append(int(v))
    if not _HEX64.fullmatch(root):
        raise FormatError("map root statement: root is not 64 lowercase hex digits")
    if nums[0] == 0 or nums[1] + 1 != nums[0]:
        raise FormatError("map root statement: covers must be version - 1")
    if origin != verifier.name:
        raise VerificationError("map root origin is not the log key's name")
    return nums[0], nums[2], bytes.fromhex(root)


class ProvenStatus:
    """What a verified status_map member proves about an asset as of map version
    `version` (a map.root entry's index): `record` is its StatusRecord, or None when the
    map proves the asset absent (never pledged nor insured)."""

    def __init__(self, asset, version, root, record):
        self.asset, self.version, self.root, self.record = asset, version, root, record

    @property
    def present(self):
        return self.record is not None

    @property
    def pledges(self):
        return list(self.record.pledges) if self.record else []

    def describe(self):
        tail = f" as of index {self.version} (proven)"
        if not self.pledges:
            return f"asset {self.asset}: no active pledge{tail}"
        return (f"asset {self.asset}: active pledges registered by entries "
                f"{', '.join(str(i) for i in self.pledges)}{tail}")


def verify_status_map(sm, asset, checkpoint, verifier):
    """Checks the `status_map` member `sm` (decoded JSON) of an answer about `asset`
    against `checkpoint` (already verified with `verifier`): the map.root entry's leaf,
    its inclusion, its signed statement, the record and the map proof. Returns a
    ProvenStatus; VerificationError or FormatError naming the first failing check."""
    from .log import decode_leaf  # log imports this module for verify_pledge_status

    def b64(text, what):
        try:
            return base64.b64decode(text, validate=True)
        except (ValueError, TypeError):
            raise FormatError(f"status_map {what} is not base64") from None

    version, root_hex = sm["version"], sm["root"]
    if type(version) is not int or not isinstance(root_hex, str) or \
            not _HEX64.fullmatch(root_hex):
        raise FormatError("status_map version or root is malformed")
    root = bytes.fromhex(root_hex)
    re_ = sm["root_entry"]
    if re_["index"] != version:
        raise VerificationError("the root entry's index is not the map version")
    leaf = b64(re_["leaf"], "root_entry.leaf")
    entry = decode_leaf(leaf)
    if entry["index"] != version:
        raise VerificationError(f"the root entry's leaf has another index than {version}")
    if entry["type"] != "map.root" or entry.get("map_root") != root_hex:
        raise VerificationError(f"entry {version} is not a map.root entry for root {root_hex}")
    if version >= checkpoint.size:
        raise VerificationError(f"the root entry {version} is beyond the checkpoint")
    proof = [b64(h, "root_entry.inclusion_proof") for h in re_["inclusion_proof"]]
    merkle.verify_inclusion(version, checkpoint.size, merkle.leaf_hash(leaf), proof,
                            checkpoint.root)
    envelope = re_["envelope"]
    if hashlib.sha256(envelope.encode("utf-8")).hexdigest() != entry["envelope_sha256"]:
        raise VerificationError("the root entry's envelope does not hash to its leaf's "
                                "envelope_sha256")
    v, _, signed_root = open_map_root(envelope, verifier)
    if v != version or signed_root != root:
        raise VerificationError("the signed map root statement names another version or root")
    record = None
    value_hash = None
    if sm["record"] is not None:
        raw = b64(sm["record"], "record")
        record = decode_status_record(raw)
        if record.asset != asset:
            raise VerificationError(f"the status record is about asset {record.asset}, "
                                    f"not {asset}")
        if record.last_change >= version:
            raise VerificationError("the status record changed at or after its root entry")
        value_hash = _sha(raw)
    verify_map_proof(root, map_key(asset), value_hash, b64(sm["proof"], "proof"))
    return ProvenStatus(asset, version, root, record)
