#!/usr/bin/env python3
"""Print an audit `AppendRequest` (protobuf JSON, for grpcurl) holding one journal
entry with a genuine hash, computed from the ledger's documented canonical
encoding (format version 1, see crates/ledger/src/lib.rs, "Record format").

It is an independent implementation of that encoding: the audit service accepts
the entry only if this script and the Rust code agree byte for byte.

    python3 deploy/scripts/journal-entry.py --source demo --sequence 1 \
        --kind withdrawal.opened --state LT --treaty apmbc --occurred-on 2025-03-18 \
      | grpcurl -plaintext -d @ localhost:50051 treaty.audit.v1.AuditService/Append
"""

import argparse
import base64
import datetime
import hashlib
import json
import struct
import sys


def put_bytes(out: bytearray, b: bytes) -> None:
    out += struct.pack(">I", len(b)) + b


def put_opt_str(out: bytearray, s) -> None:
    if s:
        out.append(1)
        put_bytes(out, s.encode())
    else:
        out.append(0)


def canonical_body(e: dict, source: str, seconds: int, nanos: int) -> bytes:
    out = bytearray()
    out += struct.pack(">Q", e["sequence"]) + e["prev_hash"]
    put_bytes(out, source.encode())
    put_bytes(out, e["kind"].encode())
    for field in ("state", "treaty", "case_id"):
        put_opt_str(out, e[field])
    put_bytes(out, e["actor"].encode())
    if e["occurred_on"]:
        y, m, d = e["occurred_on"]
        out += b"\x01" + struct.pack(">hBB", y, m, d)
    else:
        out.append(0)
    out += struct.pack(">qi", seconds, nanos)
    out += struct.pack(">I", len(e["sources"]))
    for s in e["sources"]:
        put_bytes(out, s.encode())
    put_bytes(out, e["payload"])
    out.append(0)  # no origin: this is the source's own entry
    return bytes(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", required=True, help="the source journal's name, e.g. registry")
    p.add_argument("--sequence", type=int, required=True, help="the entry's sequence (from 1)")
    p.add_argument("--prev-hash", default="00" * 32, help="hex hash of the previous entry (zeros for 1)")
    p.add_argument("--kind", required=True, help="dotted kind, e.g. withdrawal.opened")
    p.add_argument("--state", default="", help="ISO 3166-1 alpha-2 code, upper case")
    p.add_argument("--treaty", default="", help="treaty id, e.g. apmbc")
    p.add_argument("--case-id", default="", help="withdrawal case id")
    p.add_argument("--actor", default="grpcurl-user", help="who records the step")
    p.add_argument("--occurred-on", default="", help="civil date YYYY-MM-DD, empty when undated")
    p.add_argument("--recorded-at", default="", help="RFC 3339 UTC instant (default: now, whole seconds)")
    p.add_argument("--source-ref", action="append", default=[], help="a source URL (repeatable)")
    p.add_argument("--payload", default="{}", help="the step's details (JSON text)")
    p.add_argument("--request-id", default="", help="idempotency key")
    a = p.parse_args()

    if a.recorded_at:
        when = datetime.datetime.fromisoformat(a.recorded_at.replace("Z", "+00:00"))
    else:
        when = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    seconds = int(when.timestamp())
    occurred = tuple(int(x) for x in a.occurred_on.split("-")) if a.occurred_on else None
    entry = {
        "sequence": a.sequence,
        "prev_hash": bytes.fromhex(a.prev_hash),
        "kind": a.kind,
        "state": a.state,
        "treaty": a.treaty,
        "case_id": a.case_id,
        "actor": a.actor,
        "occurred_on": occurred,
        "sources": a.source_ref,
        "payload": a.payload.encode(),
    }
    digest = hashlib.sha256(canonical_body(entry, a.source, seconds, 0)).digest()
    b64 = lambda b: base64.b64encode(b).decode()
    wire = {
        "sequence": str(a.sequence),
        "prevHash": b64(entry["prev_hash"]),
        "hash": b64(digest),
        "kind": a.kind,
        "state": a.state,
        "treaty": a.treaty,
        "caseId": a.case_id,
        "actor": a.actor,
        "recordedAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sources": a.source_ref,
        "payload": b64(entry["payload"]),
    }
    if occurred:
        wire["occurredOn"] = {"year": occurred[0], "month": occurred[1], "day": occurred[2]}
    json.dump({"requestId": a.request_id, "source": a.source, "entries": [wire]}, sys.stdout)
    print()
    print(digest.hex(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
