"""Leaf decoding: exactly the canonical leaves ledger/log/entry.h's DecodeLeaf accepts,
including the status map's members (map_assets, map_ref, map_root)."""

import pytest

from ipledger import log
from ipledger.errors import FormatError

H = "ab" * 32
PLEDGE = ('{"envelope_sha256":"' + H + '","index":9,"map_assets":["dataset:a","patent:1"],'
          '"parties":["bank","ent"],"signers":["bank/k1","ent/k1"],'
          '"subjects":["P1","dataset:a","patent:1"],"time":"2026-11-26T08:00:00.123Z",'
          '"type":"pledge.register","v":1}')
RELEASE = ('{"envelope_sha256":"' + H + '","index":12,"map_assets":["patent:1"],"map_ref":9,'
           '"parties":["bank"],"signers":["bank/k1"],"subjects":["P1"],'
           '"time":"2024-02-29T23:59:59.999Z","type":"pledge.release","v":1}')
ROOT = ('{"envelope_sha256":"' + H + '","index":10,"map_root":"' + "0f" * 32 + '",'
        '"parties":[],"signers":[],"subjects":[],"time":"2026-11-26T08:00:00.124Z",'
        '"type":"map.root","v":1}')
REFUSAL = ('{"codes":["E_RULE"],"envelope_sha256":"' + H + '","index":11,"parties":[],'
           '"refused":"pledge.register","signers":["x/k1"],"subjects":["tab\\there \\u001f"],'
           '"time":"2026-11-26T08:00:00.125Z","type":"refusal","v":1}')


def test_accepts_canonical_leaves_with_and_without_the_map_members():
    e = log.decode_leaf(PLEDGE.encode())
    assert e["map_assets"] == ["dataset:a", "patent:1"] and "map_ref" not in e
    assert log.decode_leaf(RELEASE.encode())["map_ref"] == 9
    assert log.decode_leaf(ROOT.encode())["map_root"] == "0f" * 32
    r = log.decode_leaf(REFUSAL.encode())
    assert r["codes"] == ["E_RULE"] and r["subjects"] == ["tab\there \x1f"]
    for text in (PLEDGE, RELEASE, ROOT, REFUSAL):
        assert log.encode_leaf(log.decode_leaf(text.encode())) == text.encode()
    # Bytes that are not UTF-8 inside a string are carried as they are, as in C++.
    raw = PLEDGE.encode().replace(b'"P1"', b'"P\xff"')
    assert log.encode_leaf(log.decode_leaf(raw)) == raw


@pytest.mark.parametrize("old,new", [
    ('"map_assets":["dataset:a","patent:1"],', '"map_assets":[],'),          # empty: omitted
    ('"map_assets":["dataset:a","patent:1"]', '"map_assets":["patent:1","dataset:a"]'),
    ('"map_assets":["dataset:a","patent:1"]', '"map_assets":["patent:1","patent:1"]'),
    ('"map_assets":["dataset:a","patent:1"]', '"map_assets":"patent:1"'),
    ('"map_assets":["dataset:a","patent:1"]', '"map_assets":[1]'),
    ('"index":9,', '"index":9,"map_ref":"9",'),
    ('"index":9,', '"index":9,"map_ref":-1,'),
    ('"index":9,', '"index":9,"map_ref":9.0,'),
    ('"index":9,', '"index":9,"map_ref":true,'),
    ('"index":9,', '"index":9,"map_ref":null,'),
    ('"index":9,', '"index":18446744073709551616,'),
    ('"index":9,', '"index":09,'),
    ('"index":9,', '"index":9,"map_root":"' + "AB" * 32 + '",'),
    ('"index":9,', '"index":9,"map_root":"' + "ab" * 31 + '",'),
    ('"map_assets":["dataset:a","patent:1"],', '"map_ref":9,"map_assets":["dataset:a"],'),
    ('"index":9,', '"index":9,"map_extra":1,'),
    ('"index":9,', ''),
    ('"v":1', '"v":2'),
    ('"v":1', '"v":1,"v":1'),
    ('2026-11-26T08:00:00.123Z', '2026-02-29T08:00:00.123Z'),
    ('2026-11-26T08:00:00.123Z', '2026-11-26T08:00:00Z'),
    ('"subjects":["P1",', '"subjects":["\\u0050\\u0031",'),
    ('"subjects":["P1",', '"subjects":["P\\/1",'),
    ('"type":"pledge.register"', '"type":"refusal"'),                   # needs codes, refused
    ('"index":9,', '"codes":[],"index":9,'),                            # codes: refusals only
    ('"v":1}', '"v":1} '),
    (',"time"', ', "time"'),
])
def test_refuses_what_decode_leaf_refuses(old, new):
    assert old in PLEDGE
    with pytest.raises(FormatError):
        log.decode_leaf(PLEDGE.replace(old, new, 1).encode())
