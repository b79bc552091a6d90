#!/usr/bin/env python3
"""Recomputes the hashes in vectors/valid with the BLAKE3 team's reference implementation.

generate-vectors.mjs and src/ both get BLAKE3 from @noble/hashes; this check does not, so a bug
shared by them cannot hide in the vectors. Optional, not run in CI:

    python3 -m venv /tmp/b3 && /tmp/b3/bin/pip install blake3
    /tmp/b3/bin/python libs/protocol/scripts/crosscheck-vectors.py
"""
import hashlib
import hmac
import json
import pathlib
import struct
import sys

from blake3 import blake3

VALID = pathlib.Path(__file__).resolve().parent.parent / "vectors" / "valid"
CONTEXT = "tacit 2026-11 mailbox id v1"

checked = 0
failed = 0


def expect(name, what, got, want):
    global checked, failed
    checked += 1
    if got != want:
        failed += 1
        print(f"FAIL {name} {what}: got {got}, want {want}")


for path in sorted(VALID.glob("*.json")):
    v = json.loads(path.read_text())
    if v["kind"] == "address":
        i, o = v["input"], v["output"]
        ns, pk = bytes.fromhex(i["namespaceId"]), bytes.fromhex(i["peerKey"])
        dest = blake3(ns + pk + struct.pack(">I", i["epochHour"])).digest()
        expect(path.name, "destHash", dest.hex(), o["destHash"])
        mbox = blake3(dest + pk, derive_key_context=CONTEXT).digest()[:16]
        expect(path.name, "mailboxId", mbox.hex(), o["mailboxId"])
    elif v["kind"] == "claim-proof":
        i, o = v["input"], v["output"]
        dests = b"".join(bytes.fromhex(d) for d in i["dests"])
        h = blake3(dests).digest()
        expect(path.name, "destsHash", h.hex(), o["destsHash"])
        msg = b"tacit/v1/claim" + bytes.fromhex(i["challenge"]) + h
        expect(path.name, "message", msg.hex(), o["message"])
    elif v["kind"] == "claim-proof-v2":
        i, o = v["input"], v["output"]
        sk = blake3(bytes.fromhex(i["relaySecret"]), derive_key_context="tacit 2026-12 relay key v2").digest()
        expect(path.name, "relaySecretKey", sk.hex(), o["relaySecretKey"])
        dests = b"".join(bytes.fromhex(d) for d in i["dests"])
        msg = b"tacit/v2/claim" + bytes.fromhex(i["challenge"]) + bytes.fromhex(o["relayKey"]) + bytes.fromhex(o["ephemeralKey"]) + blake3(dests).digest()
        expect(path.name, "message", msg.hex(), o["message"])
        material = bytes.fromhex(o["sharedSecret"]) + bytes.fromhex(i["challenge"]) + bytes.fromhex(o["relayKey"]) + bytes.fromhex(o["ephemeralKey"])
        ck = blake3(material, derive_key_context="tacit 2026-12 channel key v2").digest()
        expect(path.name, "channelKey", ck.hex(), o["channelKey"])
        tag = hmac.new(ck, bytes.fromhex(i["ack"]), hashlib.sha256).digest()[:16]
        expect(path.name, "ackTag", tag.hex(), o["ackTag"])
    elif v["kind"] == "prekey-address":
        i, o = v["input"], v["output"]
        ns, ik = bytes.fromhex(i["namespaceId"]), bytes.fromhex(i["identityKey"])
        tag = blake3(ns + ik, derive_key_context="tacit 2026-11 prekey tag v1").digest()
        expect(path.name, "tag", tag.hex(), o["tag"])
        addr = blake3(tag + ik, derive_key_context="tacit 2026-11 prekey address v1").digest()
        expect(path.name, "address", addr.hex(), o["address"])
    elif v["kind"] == "prekey-proof":
        body = bytes.fromhex(v["input"]["body"])
        msg = b"tacit/v1/prekeys" + blake3(body[:-64]).digest()
        expect(path.name, "message", msg.hex(), v["output"]["message"])

print(f"{checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
