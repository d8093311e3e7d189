"""ipledger: a Python SDK for the ipledger registry (pure Python; Debian's
python3-cryptography and python3-requests only).

    keys     Ed25519 keys, key files, signed-note verifier keys
    dsse     statements and DSSE envelopes with several signers
    httpsig  RFC 9421 request signatures (the server's Ed25519 profile)
    note     C2SP signed notes
    merkle   RFC 6962 / RFC 9162 hashes, inclusion and consistency proofs
    log      checkpoints, tlog-proofs, leaves, receipts, search certificates
    statusmap  status map proofs of presence and absence, status records, map roots
    tiles    C2SP tlog-tiles paths, hash tiles and entry bundles
    client   submit with idempotent retry, signed and verified reads
"""

from . import dsse, httpsig, log, merkle, note, statusmap, tiles
from .client import Client
from .errors import FormatError, IpledgerError, ProblemError, VerificationError
from .keys import NoteVerifier, SigningKey, read_key_file, write_key_file

__version__ = "0.1.0"

__all__ = [
    "Client", "FormatError", "IpledgerError", "NoteVerifier", "ProblemError", "SigningKey",
    "VerificationError", "dsse", "httpsig", "log", "merkle", "note", "read_key_file", "statusmap",
    "tiles",
    "write_key_file",
]
