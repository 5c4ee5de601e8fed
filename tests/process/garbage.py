#!/usr/bin/env python3
"""Bytes on the node's port that are not CAF's protocol cost that connection only: the node
survives, keeps answering other clients, and still stops cleanly."""

import json
import random
import socket
import struct
import time

from harness import check, check_eq, run_tests, wait_until

# CAF 0.17's BASP header: operation, 3 bytes padding/flags, payload length, operation data,
# source actor, destination actor (big endian).
BASP_HEADER = struct.Struct(">B3xIQQQ")
CLIENT_HANDSHAKE = 1


def connect(node):
    s = socket.create_connection(("127.0.0.1", node.port), timeout=5)
    return s


def send_and_close(node, payload):
    s = connect(node)
    try:
        s.sendall(payload)
        s.settimeout(2)
        try:  # the node may answer (its handshake) or close; either is fine
            s.recv(65536)
        except OSError:
            pass
    except OSError:
        pass  # the node closed the connection while we were sending: also fine
    finally:
        s.close()


def answers(cli, what):
    st = json.loads(cli.ok("stats", "--timeout", "5"))
    check(st["keys"] >= 1, f"node lost data after {what}: {st}")


def garbage_then_still_answers(ctx):
    node = ctx.node()
    cli = ctx.cli(node)
    cli.ok("set", "g/1", "kept")
    rng = random.Random(4)
    cases = {
        "http": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "tls hello": bytes([0x16, 0x03, 0x01, 0x02, 0x00]) + rng.randbytes(512),
        "text": b"hello node\n" * 100,
        "zeros": bytes(4096),
        "ones": b"\xff" * 4096,
        "random 64k": bytes([0x42]) + rng.randbytes(65535),
        "short": b"\x01\x02",
        "bad handshake header": BASP_HEADER.pack(CLIENT_HANDSHAKE, 16, 3, 7, 9) + bytes(16),
        "handshake with junk payload": BASP_HEADER.pack(CLIENT_HANDSHAKE, 64, 3, 0, 0)
        + rng.randbytes(64),
    }
    for what, payload in cases.items():
        send_and_close(node, payload)
        check(node.alive(), f"node died after {what}")
        answers(cli, what)
    check_eq(cli.ok("get", "--raw", "g/1"), "kept", "value after garbage")


def many_short_connections(ctx):
    node = ctx.node(durability="memory")
    cli = ctx.cli(node)
    cli.ok("set", "g/1", "x")
    for _ in range(200):
        s = connect(node)
        s.close()
    check(node.alive(), "node died after connect/close churn")
    answers(cli, "connection churn")


def half_message_and_stall(ctx):
    # Stalled peers hold only their own connections: everyone else is served meanwhile, and
    # SIGTERM still stops the node while they are connected.
    node = ctx.node()
    cli = ctx.cli(node)
    cli.ok("set", "g/1", "x")
    stalled = []
    # Half a header.
    s = connect(node)
    s.sendall(BASP_HEADER.pack(CLIENT_HANDSHAKE, 100, 3, 0, 0)[:10])
    stalled.append(s)
    # A whole header announcing 1 MB, then only part of the payload.
    s = connect(node)
    s.sendall(BASP_HEADER.pack(CLIENT_HANDSHAKE, 1 << 20, 3, 0, 0) + bytes(1000))
    stalled.append(s)
    # Connected, silent.
    stalled.append(connect(node))
    try:
        began = time.monotonic()
        for i in range(20):
            cli.ok("set", f"g/{i}", str(i))
        check(time.monotonic() - began < 15, "requests slowed down by stalled peers")
        watch = ctx.track(cli.spawn("watch", "g/*", "--count", "1"))
        wait_until("the watcher to subscribe",
                   lambda: json.loads(cli.ok("stats"))["subscribers"] == 1)
        cli.ok("set", "g/99", "ev")
        out, _ = watch.communicate(timeout=15)
        check_eq(watch.returncode, 0, "watch next to stalled peers")
        answers(cli, "stalled peers")
        began = time.monotonic()
        check_eq(node.stop(), 0, "SIGTERM with stalled peers connected")
        check(time.monotonic() - began < 10, "stop took too long")
    finally:
        for s in stalled:
            s.close()


if __name__ == "__main__":
    run_tests({
        "garbage_then_still_answers": garbage_then_still_answers,
        "many_short_connections": many_short_connections,
        "half_message_and_stall": half_message_and_stall,
    })
