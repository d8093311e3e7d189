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

from ipledger import (Client, FormatError, NoteVerifier, ProblemError, SigningKey,
                      VerificationError, dsse, httpsig, log, read_key_file, statusmap)

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
    # The pledge changed the status map: a map.root entry follows it, and the answer's
    # status record, proven against that root, lists the registration.
    assert cert.status_map.pledges == [receipt["index"]]
    assert cert.status_map.version == cert.map_version >= receipt["index"] + 1
    # Pinned to a point of the log: the answer as of the entry before the pledge.
    old = reader.pledge_status(PATENT, index=receipt["index"] - 1)
    assert old["pledged"] is False
    proven = old["verified_certificate"].status_map
    assert proven is None or (proven.version < receipt["index"] and proven.pledges == [])
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


def _register_patent(world, number):
    asset = f"patent:{number}"
    client = world["client"]
    client.submit(dsse.sign(dsse.statement("asset.register", "registry", {
        "asset_id": asset, "kind": "patent", "holders": ["sdk-ent"],
        "patent": {"application_no": number, "type": "invention", "title": f"SDK {number}",
                   "filing_date": "2019-09-12", "grant_date": "2021-11-30",
                   "annuity_paid_through": _day(300)}}), world["reg"]))
    return asset


def _flip(text_b64, pos):
    raw = bytearray(base64.b64decode(text_b64))
    raw[pos] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_status_map_proves_presence_and_absence_and_refuses_any_changed_byte(world):
    client, bank, ent = world["client"], world["bank"], world["ent"]
    reader = Client(world["url"], key=bank, vkey=world["vkey"])
    pledged, free = _register_patent(world, "2020100000030"), _register_patent(world,
                                                                               "2020100000045")
    body = dict(_pledge("SDK-P3"), collateral=[pledged])
    receipt = client.submit(dsse.add_signatures(
        dsse.sign(dsse.statement("pledge.register", "sdk-bank", body), bank), ent))
    # The batch changed the map, so a map.root entry follows the pledge, naming the new root.
    root_entry = log.decode_leaf(base64.b64decode(client.entry(receipt["index"] + 1)["leaf"]))
    assert root_entry["type"] == "map.root" and "map_root" in root_entry
    reg = log.decode_leaf(base64.b64decode(receipt["leaf"]))
    assert reg["map_assets"] == [pledged] and "map_ref" not in reg
    # Presence: the record lists this registration; the certificate names the same root.
    status = reader.pledge_status(pledged)
    proven = status["verified_certificate"].status_map
    assert proven.present and proven.pledges == [receipt["index"]]
    assert proven.version >= receipt["index"] + 1
    assert proven.record.asset == pledged and proven.record.last_change == receipt["index"]
    assert status["verified_certificate"].map_version == proven.version
    assert proven.describe().startswith(f"asset {pledged}: active pledges registered by")
    # Absence: an asset never pledged has no leaf in the map, proven against a logged root.
    other = reader.pledge_status(free)
    absent = other["verified_certificate"].status_map
    assert absent is not None and not absent.present and absent.pledges == []
    assert absent.describe() == (f"asset {free}: no active pledge as of index "
                                 f"{absent.version} (proven)")
    vk = client.verifier()
    # Replayed for another asset: refused either way round.
    for answer, asset in [(status, free), (other, pledged)]:
        with pytest.raises((VerificationError, FormatError)):
            log.verify_pledge_status(dict(answer, asset=asset), vk)
        cp = log.open_checkpoint(answer["as_of"]["checkpoint"], vk)
        with pytest.raises((VerificationError, FormatError)):
            statusmap.verify_status_map(answer["status_map"], asset, cp, vk)
    # Every one-byte change to the record, the map proof, the root entry's leaf, its
    # envelope or its inclusion proof is refused.
    for answer in (status, other):
        sm = answer["status_map"]
        cp = log.open_checkpoint(answer["as_of"]["checkpoint"], vk)
        asset = answer["asset"]
        cases = []
        if sm["record"] is not None:
            cases += [dict(sm, record=_flip(sm["record"], i))
                      for i in range(len(base64.b64decode(sm["record"])))]
        cases += [dict(sm, proof=_flip(sm["proof"], i))
                  for i in range(len(base64.b64decode(sm["proof"])))]
        re_ = sm["root_entry"]
        cases += [dict(sm, root_entry=dict(re_, leaf=_flip(re_["leaf"], i)))
                  for i in range(len(base64.b64decode(re_["leaf"])))]
        env = re_["envelope"].encode()
        cases += [dict(sm, root_entry=dict(re_, envelope=(env[:i] + bytes([env[i] ^ 1]) +
                                                          env[i + 1:]).decode("latin-1")))
                  for i in range(len(env))]
        for k, h in enumerate(re_["inclusion_proof"]):
            hashes = list(re_["inclusion_proof"])
            hashes[k] = _flip(h, 0)
            cases.append(dict(sm, root_entry=dict(re_, inclusion_proof=hashes)))
        cases.append(dict(sm, version=sm["version"] - 1))
        cases.append(dict(sm, root=("0" if sm["root"][0] != "0" else "1") + sm["root"][1:]))
        assert len(cases) > 100
        for bad in cases:
            with pytest.raises((VerificationError, FormatError)):
                statusmap.verify_status_map(bad, asset, cp, vk)
        assert statusmap.verify_status_map(sm, asset, cp, vk).version == sm["version"]
        # The certificate binds the root: an answer whose status_map is swapped is refused.
        with pytest.raises((VerificationError, FormatError)):
            log.verify_pledge_status(dict(answer, status_map=None), vk)
    # Presence evidence passed off as absence (or the other way round) is refused.
    with pytest.raises((VerificationError, FormatError)):
        statusmap.verify_status_map(dict(status["status_map"], record=None), pledged,
                                    log.open_checkpoint(status["as_of"]["checkpoint"], vk), vk)
