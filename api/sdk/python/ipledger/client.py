"""An HTTP client for an ipledger registry: submit with idempotent retry, RFC 9421 signed
reads, and answers verified with the log's verifier key before they are returned."""

import base64
import time
import urllib.parse

import requests

from . import dsse, httpsig, log, merkle
from .errors import ProblemError, VerificationError
from .keys import NoteVerifier

# Answers worth retrying: the request may not have been processed, and resending the same
# envelope is safe (the same idempotency key and bytes give back the original receipt).
_RETRY_STATUS = {429, 502, 503, 504}


class Client:
    """A registry at `server` (e.g. "http://127.0.0.1:8080").

    `key` (a keys.SigningKey with its keyid) signs reads that need a participant (RFC
    9421). `vkey` is the log's verifier key obtained through a trusted channel; without
    it, the first call that needs it fetches GET /log/vkey and keeps it (trust on first
    use: pass `vkey` wherever the answer matters).
    """

    def __init__(self, server, key=None, vkey=None, timeout=10.0, session=None):
        self.server = server.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.session = session or requests.Session()
        self._verifier = NoteVerifier.parse(vkey) if isinstance(vkey, (str, bytes)) else vkey

    # --- plumbing -------------------------------------------------------------------------

    def request(self, method, path, params=None, body=None, signed=None, content_type=None):
        """Sends one request; returns the requests.Response. Signed with `self.key` when
        `signed` is true (default: whenever a key is set)."""
        url = self.server + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        prep = self.session.prepare_request(
            requests.Request(method, url, data=body, headers=headers))
        if signed or (signed is None and self.key is not None):
            # Sign the target exactly as it goes on the wire.
            prep.headers.update(httpsig.sign_request(method, prep.path_url, self.key))
        return self.session.send(prep, timeout=self.timeout)

    @staticmethod
    def _answer(resp, ok=(200,)):
        if resp.status_code in ok:
            ctype = resp.headers.get("Content-Type", "")
            return resp.json() if ctype.startswith("application/json") else resp.text
        try:
            problem = resp.json()
        except ValueError:
            problem = {"detail": resp.text[:200]}
        raise ProblemError(resp.status_code, problem)

    def get(self, path, params=None, signed=None):
        """GET `path`; the decoded JSON (or text) on 200, ProblemError otherwise."""
        return self._answer(self.request("GET", path, params=params, signed=signed))

    def verifier(self):
        """The log's verifier key (keys.NoteVerifier)."""
        if self._verifier is None:
            self._verifier = NoteVerifier.parse(self.get("/log/vkey", signed=False))
        return self._verifier

    # --- writes ---------------------------------------------------------------------------

    def submit(self, envelope, retries=4, backoff=0.25, verify=True):
        """POSTs an envelope to /v1/entries and returns the receipt (a dict).

        Connection failures, timeouts and 429/502/503/504 answers are retried with the same
        bytes (up to `retries` more times, doubling `backoff`): the registry answers a
        replay with the original receipt (200), so a retry never appends twice. A refusal
        raises ProblemError with its codes. With `verify`, the receipt is checked offline
        (log signature, inclusion, and that the leaf commits to these envelope bytes).
        """
        body = envelope if isinstance(envelope, bytes) else dsse.encode(envelope)
        for attempt in range(retries + 1):
            try:
                resp = self.request("POST", "/v1/entries", body=body, signed=False,
                                    content_type="application/json")
            except (requests.ConnectionError, requests.Timeout):
                if attempt == retries:
                    raise
            else:
                if resp.status_code not in _RETRY_STATUS or attempt == retries:
                    receipt = self._answer(resp, ok=(200, 201))
                    if verify:
                        log.verify_receipt(receipt, self.verifier(), envelope=body)
                    return receipt
            time.sleep(backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    def precheck(self, envelope):
        """Runs every rule on an envelope without appending: {ok, codes, warnings}."""
        body = envelope if isinstance(envelope, bytes) else dsse.encode(envelope)
        return self._answer(self.request("POST", "/v1/precheck", body=body, signed=True,
                                         content_type="application/json"))

    # --- verified reads -------------------------------------------------------------------

    def checkpoint(self):
        """The latest checkpoint, verified with the log key (a log.Checkpoint)."""
        return log.open_checkpoint(self.get("/log/checkpoint", signed=False), self.verifier())

    def consistency(self, old, new):
        """Fetches and verifies that checkpoint `new` (a log.Checkpoint) extends `old`."""
        j = self.get("/v1/log/consistency", {"old": old.size, "new": new.size}, signed=False)
        proof = [base64.b64decode(h, validate=True) for h in j["hashes"]]
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)

    def entry(self, index, checkpoint=None):
        """Entry `index`, with its leaf proven included in `checkpoint` (default: latest)."""
        cp = checkpoint or self.checkpoint()
        j = self.get(f"/v1/entries/{index}")
        leaf = base64.b64decode(j["leaf"], validate=True)
        p = self.get(f"/v1/entries/{index}/proof", {"size": cp.size}, signed=False)
        proof = [base64.b64decode(h, validate=True) for h in p["hashes"]]
        merkle.verify_inclusion(index, cp.size, merkle.leaf_hash(leaf), proof, cp.root)
        if log.decode_leaf(leaf)["index"] != index:
            raise VerificationError(f"entry {index} carries a leaf of another index")
        return j

    def pledge_status(self, asset, at=None, index=None):
        """The pledge status of `asset` (now, at a date, or as of an entry), verified: the
        search certificate, the checkpoint and every evidence proof (log.verify_pledge_status).
        Needs a participant key. Returns the answer (dict) with its parsed certificate under
        "verified_certificate"."""
        params = {"at": at} if at else ({"index": index} if index is not None else None)
        j = self.get(f"/v1/assets/{asset}/pledge-status", params, signed=True)
        j["verified_certificate"] = log.verify_pledge_status(j, self.verifier(), asset=asset,
                                                             index=index)
        return j
