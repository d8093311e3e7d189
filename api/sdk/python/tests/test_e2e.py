"""The SDK end to end against a real ipledgerd (127.0.0.1, port 0, a fresh data dir)."""

import base64
import copy
import datetime
import hashlib
import json
import time
import zoneinfo

import pytest
import requests

from ipledger import (Client, NoteVerifier, ProblemError, SigningKey, VerificationError, dsse,
                      httpsig, log, read_key_file)

PATENT = "patent:2019108523768"


def _day(delta_days=0):
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    return (today + datetime.timedelta(days=delta_days)).isoformat()


@pytest.fixture(scope="module")
def world(registry):
    """The registry office, a bank and an enterprise, registered; a patent it holds."""
    reg = read_key_file(registry.registry_key_file, "registry/k1")
    bank = SigningKey.generate("sdk-bank/k1")
    ent = SigningKey.generate("sdk-ent/k1")
    client = Client(registry.url, vkey=registry.vkey)
    for pid, role, key in [("sdk-bank", "bank", bank), ("sdk-ent", "enterprise", ent)]:
        body = {"id": pid, "name": f"SDK test {role}", "role": role, "region_code": "330802",
                "keys": [{"label": "k1", "ed25519": key.public_key_b64()}]}
        client.submit(dsse.sign(dsse.statement("participant.register", "registry", body), reg))
    patent = {"asset_id": PATENT, "kind": "patent", "holders": ["sdk-ent"],
              "patent": {"application_no": "2019108523768", "type": "invention",
                         "title": "Fluorine-free durable water repellent finish",
                         "filing_date": "2019-09-12", "grant_date": "2021-11-30",
                         "annuity_paid_through": _day(300)}}
    client.submit(dsse.sign(dsse.statement("asset.register", "registry", patent), reg))
    return {"client": client, "reg": reg, "bank": bank, "ent": ent, "url": registry.url,
            "vkey": registry.vkey}


def _pledge(pledge_id):
    contract = hashlib.sha256(f"contract {pledge_id}".encode()).hexdigest()
    return {"pledge_id": pledge_id, "pledgors": ["sdk-ent"], "debtor": "sdk-ent",
            "collateral": [PATENT],
            "secured": {"type": "loan", "amount": {"amount_fen": 300000000, "currency": "CNY"}},
            "debt_term": {"start": _day(), "end": _day(700)}, "valuation_ids": [],
            "contract_sha256": contract}


def test_receipts_verify_and_commit_to_the_envelope(world):
    client, reg = world["client"], world["reg"]
    env = dsse.sign(dsse.statement("participant.register", "registry", {
        "id": "sdk-appraiser", "name": "SDK appraiser", "role": "appraiser",
        "keys": [{"label": "k1", "ed25519": SigningKey.generate().public_key_b64()}]}), reg)
    receipt = client.submit(env, verify=False)
    entry = log.verify_receipt(receipt, client.verifier(), envelope=dsse.encode(env))
    assert entry["type"] == "participant.register" and entry["signers"] == ["registry/k1"]
    # The same receipt fails against another envelope, another key, or a changed leaf.
    with pytest.raises(VerificationError):
        log.verify_receipt(receipt, client.verifier(), envelope=dsse.encode(env) + b" ")
    other = NoteVerifier(client.verifier().name, SigningKey.generate().public_key())
    with pytest.raises(VerificationError):
        log.verify_receipt(receipt, other)
    bad = copy.deepcopy(receipt)
    bad["leaf"] = base64.b64encode(base64.b64decode(bad["leaf"]).replace(b'"v":1', b'"v":2'))
    bad["leaf"] = bad["leaf"].decode()
    with pytest.raises(VerificationError):
        log.verify_receipt(bad, client.verifier())


def test_resubmitting_is_an_idempotent_replay_and_a_changed_envelope_conflicts(world):
    client, reg = world["client"], world["reg"]
    body = {"id": "sdk-insurer", "name": "SDK insurer", "role": "insurer",
            "keys": [{"label": "k1", "ed25519": SigningKey.generate().public_key_b64()}]}
    payload = dsse.statement("participant.register", "registry", body, idempotency_key="sdk-1")
    env = dsse.sign(payload, reg)
    first = client.submit(env)
    again = client.submit(env)
    assert again["index"] == first["index"] and again["leaf"] == first["leaf"]
    changed = dsse.statement("participant.register", "registry", dict(body, name="Other"),
                             idempotency_key="sdk-1")
    with pytest.raises(ProblemError) as e:
        client.submit(dsse.sign(changed, reg))
    assert e.value.status == 409 and e.value.codes == ["E_IDEMPOTENCY_CONFLICT"]


def test_submit_retries_then_gives_up_on_a_dead_server(world):
    dead = Client("http://127.0.0.1:9", vkey=world["vkey"], timeout=2)
    env = dsse.sign(dsse.statement("data.object", "registry", {}), world["reg"])
    start = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        dead.submit(env, retries=2, backoff=0.1)
    assert time.monotonic() - start >= 0.3  # 0.1 + 0.2 s of backoff between 3 attempts


def test_refusals_are_problem_details_with_codes(world):
    client = world["client"]
    stranger = SigningKey.generate("registry/k9")
    env = dsse.sign(dsse.statement("participant.register", "registry", {
        "id": "sdk-x", "name": "X", "role": "bank",
        "keys": [{"label": "k1", "ed25519": stranger.public_key_b64()}]}), stranger)
    with pytest.raises(ProblemError) as e:
        client.submit(env)
    assert e.value.status == 401 and e.value.codes == ["E_SIGNATURE"]
    with pytest.raises(ProblemError) as e:
        client.submit(dsse.sign(dsse.statement("pledge.register", "sdk-bank", {"x": 1}),
                                world["bank"]))
    assert e.value.status == 400 and "E_SCHEMA" in e.value.codes


def test_pledge_with_two_signers_then_a_verified_pledge_status(world):
    client, bank, ent = world["client"], world["bank"], world["ent"]
    reader = Client(world["url"], key=bank, vkey=world["vkey"])
    before = reader.pledge_status(PATENT)
    assert before["pledged"] is False and not before["verified_certificate"].pledged
    # The bank signs, sends the envelope to the enterprise, which co-signs.
    env = dsse.sign(dsse.statement("pledge.register", "sdk-bank", _pledge("SDK-P1")), bank)
    env = dsse.add_signatures(env, ent)
    assert dsse.payload_of(env)["body"]["pledge_id"] == "SDK-P1"
    receipt = client.submit(env)
    status = reader.pledge_status(PATENT)
    cert = status["verified_certificate"]
    assert status["pledged"] and cert.pledges == [("SDK-P1", "sdk-bank", "registered",
                                                   receipt["index"])]
    assert cert.tree_size > receipt["index"]
    # Pinned to a point of the log: the answer as of the entry before the pledge.
    old = reader.pledge_status(PATENT, index=receipt["index"] - 1)
    assert old["pledged"] is False
    # An answer edited after signing is refused, naming what disagrees.
    edited = dict(status, pledges=[], pledged=False)
    with pytest.raises(VerificationError):
        log.verify_pledge_status(edited, client.verifier())
    with pytest.raises(VerificationError):
        log.verify_pledge_status(status, client.verifier(), asset="patent:2015100000010")
    # Without the enterprise's signature the pledge is forbidden.
    alone = dsse.sign(dsse.statement("pledge.register", "sdk-bank", _pledge("SDK-P2")), bank)
    with pytest.raises(ProblemError) as e:
        client.submit(alone)
    assert e.value.status == 403


def test_rfc9421_signed_reads(world):
    url, bank = world["url"], world["bank"]
    # The SDK's headers, sent by plain requests: the server accepts them.
    target = f"/v1/assets/{PATENT}/pledge-status"
    ok = requests.get(url + target, headers=httpsig.sign_request("GET", target, bank), timeout=10)
    assert ok.status_code == 200, ok.text
    # Signed for another path, too old, or by an unregistered key: 401, never a downgrade.
    for headers in [httpsig.sign_request("GET", target + "x", bank),
                    httpsig.sign_request("GET", target, bank, created=time.time() - 3600),
                    httpsig.sign_request("GET", target, SigningKey.generate("sdk-bank/k1"))]:
        r = requests.get(url + target, headers=headers, timeout=10)
        assert r.status_code == 401, r.text
        assert r.headers["Content-Type"].startswith("application/problem+json")
    base = httpsig.signature_base("get", "/a/b?x=1", '("@method" "@path" "@query");created=1')
    assert base == ('"@method": GET\n"@path": /a/b\n"@query": ?x=1\n'
                    '"@signature-params": ("@method" "@path" "@query");created=1')


def test_checkpoints_entries_and_consistency(world):
    client = world["client"]
    first = client.checkpoint()
    client.submit(dsse.sign(dsse.statement("participant.register", "registry", {
        "id": "sdk-regulator", "name": "SDK regulator", "role": "regulator",
        "keys": [{"label": "k1", "ed25519": SigningKey.generate().public_key_b64()}]}),
        world["reg"]))
    second = client.checkpoint()
    assert second.size > first.size
    client.consistency(first, second)
    e = client.entry(0, second)
    assert e["type"] == "participant.register"
    forged = log.Checkpoint(second.origin, second.size, bytes(32))
    with pytest.raises(VerificationError):
        client.consistency(first, forged)


def test_key_files(tmp_path):
    from ipledger import write_key_file, FormatError
    import os
    key = SigningKey.generate()
    path = tmp_path / "k.key"
    write_key_file(path, key)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert read_key_file(path, "a/k1").public_key() == key.public_key()
    with pytest.raises(FileExistsError):
        write_key_file(path, key)
    os.chmod(path, 0o644)
    with pytest.raises(FormatError):
        read_key_file(path)
    bad = tmp_path / "bad.key"
    bad.write_text("not base64\n")
    os.chmod(bad, 0o600)
    with pytest.raises(FormatError):
        read_key_file(bad)
    assert json.loads(dsse.statement("t", "s", {}))["v"] == 1
