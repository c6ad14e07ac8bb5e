#!/usr/bin/env python3
"""Checks that a `treaty bench --quick --json` run produced every figure of
DESIGN.md §6 with its baseline and ratio. No thresholds: timings are not tests."""
import json
import math
import sys

EXPECTED = [
    "bare ping c=1 throughput", "bare ping c=64 throughput",
    "raw sled insert+flush c=1 throughput", "raw sled insert+flush c=64 throughput",
    "durable steps (fsync) c=1 throughput", "durable step (fsync) c=1 p50",
    "durable steps (fsync) c=64 throughput", "durable steps (fsync) c=64 vs raw sled",
    "durable steps (flush) c=1 throughput", "durable step (flush) c=1 p50",
    "durable steps (flush) c=64 throughput", "durable steps (flush) c=64 vs raw sled",
    "durable steps (fsync) c=64, TLS and tokens", "durable step (fsync) c=64 p50, TLS and tokens",
    "live streams, last delivery p50", "live streams, last delivery p99",
    "GetHistory p50", "GetHistory p99", "verify the global chain", "Verify RPC",
    "resident memory", "cold start",
]

report = json.load(open(sys.argv[1]))
figures = report["figures"]
passed = failed = 0
for name in EXPECTED:
    found = [f for f in figures if f["name"].startswith(name) or name in f["name"]]
    ok = bool(found) and all(
        isinstance(f[k], (int, float)) and math.isfinite(f[k]) for f in found for k in ("value", "baseline", "ratio")
    ) and all(f["value"] > 0 for f in found)
    compared = all(f["baseline_name"] != "—" and f["baseline"] > 0 for f in found) if "bare ping" not in name and "raw sled" not in name else True
    if ok and compared:
        passed += 1
    else:
        failed += 1
        print(f"FAIL - figure {name!r}: {found}")
print(f"bench-smoke: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
