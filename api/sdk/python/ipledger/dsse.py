"""Statements and DSSE envelopes (the DSSE v1 envelope of the API, several signers).

A statement is JSON `{"v": 1, "type", "submitter", "idempotency_key", "created", "body"}`.
The envelope carries the statement's exact bytes in `payload` (base64); each signature is
Ed25519 over PAE(payloadType, payload) = "DSSEv1" SP LEN(type) SP type SP LEN(payload)
SP payload, LEN being the decimal byte length. The server verifies the exact bytes and
never re-serializes, so adding a signature never touches the payload.
"""

import base64
import datetime
import json
import uuid

from .errors import FormatError
from .keys import b64

PAYLOAD_TYPE = "application/vnd.ipledger.statement.v1+json"


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), bytes(payload))


def now_rfc3339():
    """The current time as the API writes instants: RFC 3339 UTC with milliseconds."""
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def statement(type_, submitter, body, idempotency_key=None, created=None):
    """A statement's bytes: compact JSON with a fresh idempotency key and the current time
    unless given. Keep the bytes: resubmitting them is an idempotent replay."""
    st = {"v": 1, "type": type_, "submitter": submitter,
          "idempotency_key": idempotency_key or str(uuid.uuid4()),
          "created": created or now_rfc3339(), "body": body}
    return json.dumps(st, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(payload, *keys, payload_type=PAYLOAD_TYPE):
    """A DSSE envelope (dict) over `payload` (bytes) signed by each keys.SigningKey, whose
    `keyid` must be set (`participant/label`)."""
    env = {"payloadType": payload_type, "payload": b64(bytes(payload)), "signatures": []}
    return add_signatures(env, *keys)


def add_signatures(envelope, *keys):
    """Adds signatures to an envelope (a co-signer's step); returns a new envelope."""
    payload = base64.b64decode(envelope["payload"], validate=True)
    sigs = list(envelope.get("signatures", []))
    for k in keys:
        if not k.keyid:
            raise FormatError("a signing key needs a keyid (participant/label) to sign envelopes")
        sigs.append({"keyid": k.keyid, "sig": b64(k.sign(pae(envelope["payloadType"], payload)))})
    return {"payloadType": envelope["payloadType"], "payload": envelope["payload"],
            "signatures": sigs}


def encode(envelope):
    """The envelope's JSON bytes, as posted (and as the leaf's envelope_sha256 hashes)."""
    return json.dumps(envelope, separators=(",", ":")).encode()


def payload_of(envelope):
    """The statement inside an envelope, decoded."""
    return json.loads(base64.b64decode(envelope["payload"], validate=True))
