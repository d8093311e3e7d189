"""The log's signed formats: checkpoints (c2sp.org/tlog-checkpoint), tlog-proofs
(c2sp.org/tlog-proof@v1), ipledger leaves, search certificates
(ipledger.search-certificate/v1), and the checks of a receipt and a pledge-status answer.
Everything here works offline with the log's verifier key alone.
"""

import base64
import hashlib
import json
import re

from . import merkle, statusmap
from .errors import FormatError, VerificationError
from .keys import b64decode_strict
from .note import open_note, parse_note

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_TOKEN = re.compile(r"[^\s]+")


def _decimal(text, what):
    if not _DECIMAL.fullmatch(text) or int(text) >= 1 << 64:
        raise FormatError(f"{what} {text!r} is not a decimal number without leading zeros")
    return int(text)


def _hash_b64(text, what):
    raw = b64decode_strict(text, what)
    if len(raw) != 32:
        raise FormatError(f"{what} is not 32 bytes")
    return raw


def _hash_hex(text, what):
    if not isinstance(text, str) or not re.fullmatch(r"[0-9a-f]{64}", text):
        raise FormatError(f"{what} is not 64 lowercase hex")
    return bytes.fromhex(text)


class Checkpoint:
    """A checkpoint body: origin, tree size, root hash (32 bytes), extension lines."""

    def __init__(self, origin, size, root, extensions=()):
        self.origin, self.size, self.root, self.extensions = origin, size, root, list(extensions)


def parse_checkpoint_body(text):
    """Parses checkpoint text strictly (origin, size, base64 root, optional extensions)."""
    if not text.endswith("\n"):
        raise FormatError("checkpoint does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise FormatError("checkpoint needs origin, size and root lines, none empty")
    return Checkpoint(lines[0], _decimal(lines[1], "tree size"),
                      _hash_b64(lines[2], "root hash"), lines[3:])


def open_checkpoint(note, verifier):
    """Verifies a signed checkpoint with the log's verifier and returns its Checkpoint.

    The origin must be the key name, as ipledger signs it.
    """
    cp = parse_checkpoint_body(open_note(note, verifier))
    if cp.origin != verifier.name:
        raise VerificationError(f"checkpoint origin {cp.origin!r} is not the key name "
                                f"{verifier.name!r}")
    return cp


class TlogProof:
    def __init__(self, index, proof, checkpoint, extra=None):
        self.index, self.proof, self.checkpoint, self.extra = index, proof, checkpoint, extra


def parse_tlog_proof(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise FormatError("tlog-proof has no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise FormatError("tlog-proof does not start with c2sp.org/tlog-proof@v1")
    lines = lines[1:]
    extra = None
    if lines and lines[0].startswith("extra "):
        extra = b64decode_strict(lines[0][6:], "extra")
        lines = lines[1:]
    if not lines or not lines[0].startswith("index "):
        raise FormatError("tlog-proof has no index line")
    index = _decimal(lines[0][6:], "index")
    proof = [_hash_b64(line, "proof hash") for line in lines[1:]]
    parse_note(checkpoint)
    return TlogProof(index, proof, checkpoint, extra)


def verify_tlog_proof(text, leaf, verifier):
    """Verifies a tlog-proof for the leaf bytes `leaf`; returns the proof's Checkpoint."""
    tp = parse_tlog_proof(text)
    cp = open_checkpoint(tp.checkpoint, verifier)
    merkle.verify_inclusion(tp.index, cp.size, merkle.leaf_hash(leaf), tp.proof, cp.root)
    return cp


_LIST_KEYS = ("codes", "map_assets", "parties", "signers", "subjects")
_NUMBER_KEYS = ("index", "map_ref", "v")
_STRING_KEYS = ("envelope_sha256", "map_root", "refused", "time", "type")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_INSTANT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                      r"\.[0-9]{3}Z")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _utf8(text):
    # Leaf strings are bytes to the log: bytes that are not UTF-8 round-trip unchanged.
    return text.encode("utf-8", "surrogateescape")


def _leaf_string(text):
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                        "\t": "\\t"}[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _valid_instant(text):
    m = _INSTANT.fullmatch(text)
    if not m:
        return False
    y, mo, d, h, mi, sec = (int(x) for x in m.groups())
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    return (1 <= mo <= 12 and 1 <= d <= _MONTH_DAYS[mo - 1] and not (mo == 2 and d == 29 and
            not leap) and h <= 23 and mi <= 59 and sec <= 59)


def encode_leaf(entry):
    """The canonical leaf bytes of a decoded leaf (what ledger/log/entry.h's EncodeLeaf
    writes): lists sorted bytewise and de-duplicated; codes and refused on refusals only;
    map_assets only when non-empty, map_ref and map_root only when present."""
    refusal = entry.get("type") == "refusal"
    parts = []

    def add(key, raw):
        parts.append(_leaf_string(key) + ":" + raw)

    def add_list(key):
        items = sorted(set(entry.get(key, [])), key=_utf8)
        add(key, "[" + ",".join(_leaf_string(x) for x in items) + "]")

    if refusal:
        add_list("codes")
    add("envelope_sha256", _leaf_string(entry.get("envelope_sha256", "0" * 64)))
    add("index", str(entry.get("index", 0)))
    if entry.get("map_assets"):
        add_list("map_assets")
    if entry.get("map_ref") is not None:
        add("map_ref", str(entry["map_ref"]))
    if entry.get("map_root") is not None:
        add("map_root", _leaf_string(entry["map_root"]))
    add_list("parties")
    if refusal:
        add("refused", _leaf_string(entry.get("refused", "")))
    add_list("signers")
    add_list("subjects")
    add("time", _leaf_string(entry.get("time", "")))
    add("type", _leaf_string(entry.get("type", "")))
    add("v", "1")
    return _utf8("{" + ",".join(parts) + "}")


def decode_leaf(leaf):
    """Decodes an ipledger leaf (docs/formats.md, "Leaves"; ledger/log/entry.h), accepting
    exactly what the C++ DecodeLeaf accepts: only the known keys (codes, envelope_sha256,
    index, map_assets, map_ref, map_root, parties, refused, signers, subjects, time, type,
    v), each of its kind, v = 1, hashes as 64 lowercase hex, a valid RFC 3339 UTC instant
    with milliseconds, and bytes equal to the canonical encoding. Returns the members as a
    dict; FormatError otherwise."""
    leaf = bytes(leaf)

    def no_duplicates(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):
            raise FormatError("leaf repeats a key")
        return obj

    try:
        obj = json.loads(leaf.decode("utf-8", "surrogateescape"),
                         object_pairs_hook=no_duplicates)
    except ValueError:
        raise FormatError("leaf is not JSON") from None
    if not isinstance(obj, dict):
        raise FormatError("leaf is not a JSON object")
    for key, value in obj.items():
        if key in _LIST_KEYS:
            ok = isinstance(value, list) and all(isinstance(x, str) for x in value)
        elif key in _NUMBER_KEYS:
            ok = type(value) is int and 0 <= value < 1 << 64
        elif key in _STRING_KEYS:
            ok = isinstance(value, str)
            if ok and key in ("envelope_sha256", "map_root"):
                ok = bool(_HEX64.fullmatch(value))
            if ok and key == "time":
                ok = _valid_instant(value)
        else:
            raise FormatError(f"leaf has an unknown key {key!r}")
        if not ok:
            raise FormatError(f"leaf member {key!r} is malformed")
    if obj.get("v") != 1:
        raise FormatError("leaf is not version 1")
    for key in ("envelope_sha256", "index", "parties", "signers", "subjects", "time", "type"):
        if key not in obj:
            raise FormatError(f"leaf has no {key!r}")
    if encode_leaf(obj) != leaf:
        raise FormatError("leaf is not canonical ipledger leaf JSON")
    return obj


def verify_receipt(receipt, verifier, envelope=None):
    """Checks a submit receipt (the decoded JSON answer) offline; returns the decoded leaf.

    The leaf hash, the leaf's index, the tlog-proof (log signature and inclusion), and that
    the receipt's checkpoint and inclusion proof are the tlog-proof's. With `envelope` (the
    bytes that were posted) also that the leaf commits to them (envelope_sha256).
    """
    leaf = base64.b64decode(receipt["leaf"], validate=True)
    if merkle.leaf_hash(leaf).hex() != receipt.get("leaf_hash"):
        raise VerificationError("leaf_hash is not the hash of the receipt's leaf")
    entry = decode_leaf(leaf)
    if entry.get("index") != receipt["index"]:
        raise VerificationError(f"the leaf says index {entry.get('index')}, the receipt "
                                f"{receipt['index']}")
    tp = parse_tlog_proof(receipt["tlog_proof"])
    if tp.index != receipt["index"]:
        raise VerificationError("the tlog_proof is for another index")
    verify_tlog_proof(receipt["tlog_proof"], leaf, verifier)
    if receipt.get("checkpoint") and receipt["checkpoint"] != tp.checkpoint:
        raise VerificationError("the receipt's checkpoint is not the tlog_proof's")
    if receipt.get("inclusion_proof") and [
            base64.b64decode(h) for h in receipt["inclusion_proof"]] != tp.proof:
        raise VerificationError("the receipt's inclusion_proof is not the tlog_proof's")
    if envelope is not None and entry.get("envelope_sha256") != hashlib.sha256(
            bytes(envelope)).hexdigest():
        raise VerificationError("the leaf does not commit to this envelope")
    return entry


class SearchCertificate:
    """A search certificate's fields. `map_version` and `map_root` (32 bytes) name the status
    map root the answer was made from (the optional last line `map <index> <base64 root>`);
    both are None when the line is absent."""

    def __init__(self, origin, asset, as_of, tree_size, root, pledged, pledges,
                 map_version=None, map_root=None):
        self.origin, self.asset, self.as_of, self.tree_size = origin, asset, as_of, tree_size
        self.root, self.pledged, self.pledges = root, pledged, pledges  # pledges: tuples
        self.map_version, self.map_root = map_version, map_root
        self.status_map = None  # set by verify_pledge_status: a statusmap.ProvenStatus

    def lines(self):
        out = ["ipledger.search-certificate/v1", f"origin {self.origin}", f"asset {self.asset}",
               f"as-of {self.as_of}", f"tree-size {self.tree_size}",
               "root " + base64.b64encode(self.root).decode(),
               "status " + ("pledged" if self.pledged else "not-pledged")]
        out += [f"pledge {p[0]} {p[1]} {p[2]} {p[3]}" for p in self.pledges]
        if self.map_version is not None:
            out.append(f"map {self.map_version} " + base64.b64encode(self.map_root).decode())
        return out


def parse_search_certificate(text):
    """Parses the signed text of a search certificate strictly."""
    if not text.endswith("\n"):
        raise FormatError("certificate does not end in a newline")
    lines = text[:-1].split("\n")
    fixed = ["ipledger.search-certificate/v1", "origin", "asset", "as-of", "tree-size", "root",
             "status"]
    if len(lines) < len(fixed) or lines[0] != fixed[0]:
        raise FormatError("not an ipledger.search-certificate/v1")
    values = []
    for want, line in zip(fixed[1:], lines[1:7]):
        key, sep, value = line.partition(" ")
        if key != want or not sep or not _TOKEN.fullmatch(value):
            raise FormatError(f"certificate line {line!r}: expected '{want} <value>'")
        values.append(value)
    origin, asset, as_of, size, root, status = values
    if status not in ("pledged", "not-pledged"):
        raise FormatError(f"certificate status {status!r}")
    pledges = []
    map_version = map_root = None
    for i, line in enumerate(lines[7:], start=7):
        parts = line.split(" ")
        if parts[0] == "map" and i + 1 == len(lines):
            if len(parts) != 3 or not _DECIMAL.fullmatch(parts[1]):
                raise FormatError(f"certificate line {line!r}: expected "
                                  "'map <version not after as-of> <base64 of 32 bytes>'")
            map_version = _decimal(parts[1], "map version")
            map_root = _hash_b64(parts[2], "map root")
            break
        if len(parts) != 5 or parts[0] != "pledge" or not all(parts[1:]):
            raise FormatError(f"certificate line {line!r}: expected a pledge line")
        pledges.append((parts[1], parts[2], parts[3], _decimal(parts[4], "pledge index")))
    cert = SearchCertificate(origin, asset, _decimal(as_of, "as-of"), _decimal(size, "tree-size"),
                             _hash_b64(root, "root"), status == "pledged", pledges,
                             map_version, map_root)
    if cert.as_of >= cert.tree_size:
        raise FormatError("as-of is not below tree-size")
    if cert.map_version is not None and cert.map_version > cert.as_of:
        raise FormatError("the map line's version is after as-of")
    if cert.pledged != bool(pledges):
        raise FormatError("status disagrees with the pledge lines")
    if cert.lines() != lines:
        raise FormatError("certificate is not in its canonical form")
    return cert


def open_search_certificate(note, verifier):
    """Verifies a search certificate (a note signed by the log key) and parses it."""
    cert = parse_search_certificate(open_note(note, verifier))
    if cert.origin != verifier.name:
        raise VerificationError("certificate origin is not the log key's name")
    return cert


def verify_pledge_status(answer, verifier, asset=None, index=None):
    """Checks a pledge-status answer (decoded JSON) offline; returns its SearchCertificate.

    The certificate and the as-of checkpoint verify with the log key and agree with every
    field of the answer; every evidence leaf is canonical, has its index and is included
    in that checkpoint's tree; each pledge's registration entry is proven and names the
    pledge and the asset. `asset` and `index`, when given, must be what the answer is about.
    With a `status_map` member (statusmap.verify_status_map) the certificate's map line must
    name its root, and the returned certificate's `status_map` is the ProvenStatus (present
    with its record, or proven absent); it is None when no map root is logged yet (the
    status is then the log's signed word, not proven).
    """
    cert = open_search_certificate(answer["certificate"], verifier)
    cp = open_checkpoint(answer["as_of"]["checkpoint"], verifier)
    pledges = [(p["pledge_id"], p["pledgee"], p["state"], p["registered_index"])
               for p in answer.get("pledges", [])]
    sm = answer.get("status_map")
    want = SearchCertificate(verifier.name, answer["asset"], answer["as_of"]["index"], cp.size,
                             cp.root, answer["pledged"], pledges,
                             sm["version"] if sm else None,
                             _hash_hex(sm["root"], "status_map root") if sm else None)
    for got_line, want_line in zip(cert.lines() + ["(nothing)"], want.lines() + ["(nothing)"]):
        if got_line != want_line:
            raise VerificationError(f"the certificate says {got_line!r} where the answer "
                                    f"implies {want_line!r}")
    if asset is not None and cert.asset != asset:
        raise VerificationError(f"the answer is about {cert.asset}, not {asset}")
    if index is not None and cert.as_of != index:
        raise VerificationError(f"the answer is as of entry {cert.as_of}, not {index}")
    proven = {}
    for e in answer.get("evidence", []):
        leaf = base64.b64decode(e["leaf"], validate=True)
        entry = decode_leaf(leaf)
        if entry.get("index") != e["index"]:
            raise VerificationError(f"evidence {e['index']}: the leaf has another index")
        proof = [base64.b64decode(h, validate=True) for h in e["inclusion_proof"]]
        merkle.verify_inclusion(e["index"], cp.size, merkle.leaf_hash(leaf), proof, cp.root)
        proven[e["index"]] = entry
    for p in answer.get("pledges", []):
        for i in p.get("evidence", []):
            if i not in proven:
                raise VerificationError(f"pledge {p['pledge_id']} cites unproven entry {i}")
        reg = proven.get(p["registered_index"])
        if reg is None or reg.get("type") != "pledge.register" or not {
                p["pledge_id"], answer["asset"]} <= set(reg.get("subjects", [])):
            raise VerificationError(f"the registration of pledge {p['pledge_id']} over "
                                    f"{answer['asset']} is not proven")
    cert.status_map = None
    if sm is not None:
        proven = statusmap.verify_status_map(sm, cert.asset, cp, verifier)
        # Nothing can have changed between the root and the as-of entry when the root is
        # the as-of entry or the answer is of the whole log: the pledges must be the record's.
        listed = sorted(p[3] for p in cert.pledges)
        if listed != proven.pledges and (proven.version == cert.as_of or
                                         cert.as_of + 1 == cp.size):
            raise VerificationError("the pledges listed differ from the proven status record")
        cert.status_map = proven
    return cert
