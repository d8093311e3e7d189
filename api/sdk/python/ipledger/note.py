"""C2SP signed notes (c2sp.org/signed-note): parsing and verification.

A signed note is UTF-8 text: the body (one or more lines, each ending in "\\n"), an
empty line, then one or more signature lines `— <key name> <base64(key hash (4 bytes,
big-endian) || signature)>\\n` (U+2014 EM DASH, a space). An Ed25519 signature (type
0x01) covers exactly the body bytes, including the body's final newline and nothing
of the empty line or the signature lines.
"""

from .errors import FormatError, VerificationError
from .keys import b64, b64decode_strict

_DASH = "\u2014 "


class Signature:
    def __init__(self, name, key_hash, sig):
        self.name = name
        self.key_hash = key_hash
        self.sig = sig

    def line(self):
        raw = self.key_hash.to_bytes(4, "big") + self.sig
        return f"{_DASH}{self.name} {b64(raw)}\n"


class Note:
    """A parsed (not yet verified) signed note: `text` (the signed body) and signatures."""

    def __init__(self, text, signatures):
        self.text = text
        self.signatures = signatures


def _check_text(text):
    for c in text:
        if c != "\n" and (ord(c) < 0x20 or ord(c) == 0x7F):
            raise FormatError("signed note contains a control character")


def parse_note(data):
    """Parses a signed note strictly; FormatError if malformed."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("signed note is not UTF-8") from None
    _check_text(data)
    if not data.endswith("\n"):
        raise FormatError("signed note does not end in a newline")
    split = data.rfind("\n\n")
    if split < 0:
        raise FormatError("signed note has no empty line before its signatures")
    text, sig_block = data[: split + 1], data[split + 2:]
    if text == "\n":
        raise FormatError("signed note has an empty body")
    signatures = []
    for line in sig_block[:-1].split("\n") if sig_block else []:
        if not line.startswith(_DASH):
            raise FormatError(f"signature line {line!r} does not start with an em dash")
        name, sep, sig_b64 = line[len(_DASH):].partition(" ")
        if not sep or not name or " " in sig_b64:
            raise FormatError(f"malformed signature line {line!r}")
        raw = b64decode_strict(sig_b64, "note signature")
        if len(raw) < 5:
            raise FormatError("note signature is too short")
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    if not signatures:
        raise FormatError("signed note has no signature")
    if len(signatures) > 100:
        raise FormatError("signed note has more than 100 signatures")
    return Note(text, signatures)


def open_note(data, verifier):
    """Verifies a signed note with `verifier` (a keys.NoteVerifier) and returns its text.

    At least one signature must carry the verifier's name and key hash, and every such
    signature must verify; signatures by other keys (witness cosignatures, say) are
    ignored. VerificationError otherwise.
    """
    note = parse_note(data)
    mine = [s for s in note.signatures
            if s.name == verifier.name and s.key_hash == verifier.key_hash]
    if not mine:
        raise VerificationError(f"no signature by {verifier.name} on the note")
    message = note.text.encode()
    for s in mine:
        if not verifier.verify(message, s.sig):
            raise VerificationError(f"the signature of {verifier.name} does not verify")
    return note.text


def sign_note(text, signers):
    """Signs note text with signing keys; each signer is (name, keys.SigningKey)."""
    from .keys import key_hash

    if not text.endswith("\n"):
        raise FormatError("note text must end in a newline")
    _check_text(text)
    lines = [Signature(name, key_hash(name, k.public_key()), k.sign(text.encode())).line()
             for name, k in signers]
    return text + "\n" + "".join(lines)
