#!/usr/bin/env python3
"""A minimal DNS server for the image test: answers A queries for one service name, NXDOMAIN else.

    python3 deploy/checks/dns_stub.py 127.0.0.1 audit 127.0.0.2

answers `audit` and `audit.<any search domain>` with 127.0.0.2, the way cluster DNS answers a
Service name in a pod, so the test can see the static `treaty` binary resolve a peer through
/etc/resolv.conf inside the scratch image. It logs each query on stdout and serves until killed.
"""

import socket
import struct
import sys


def answer(query: bytes, name: str, address: str) -> bytes:
    ident, _flags, _qd = struct.unpack(">HHH", query[:6])
    i, labels = 12, []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode("ascii", "replace").lower())
        i += 1 + query[i]
    qtype, _qclass = struct.unpack(">HH", query[i + 1:i + 5])
    question = query[12:i + 5]
    known = bool(labels) and labels[0] == name
    print(f"query {'.'.join(labels)} type {qtype}: {'known' if known else 'unknown'}", flush=True)
    if not known:
        return struct.pack(">HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question  # NXDOMAIN
    if qtype != 1:
        return struct.pack(">HHHHHH", ident, 0x8180, 1, 0, 0, 0) + question  # no AAAA etc.
    record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) + socket.inet_aton(address)
    return struct.pack(">HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + record


def main() -> None:
    listen, name, address = sys.argv[1:4]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((listen, 53))
    print(f"dns stub on {listen}:53: {name} -> {address}", flush=True)
    while True:
        query, peer = sock.recvfrom(512)
        try:
            sock.sendto(answer(query, name, address), peer)
        except (IndexError, struct.error):
            continue


if __name__ == "__main__":
    main()
