#!/usr/bin/env python3
"""Mutual TLS: a node started with --tls-cert/--tls-key/--tls-ca admits only peers with a
certificate of its CA. Certificates come from deploy/make-certs.sh (one CA per test, a second
CA for the outsiders). Every refused peer is refused within seconds, gets no byte of CAF's
protocol, and cannot make the node allocate what a frame header announces."""

import json
import os
import socket
import ssl
import struct
import subprocess
import time

from harness import check, check_eq, run_tests, wait_until

# CAF 0.17's BASP header: operation, 3 bytes padding/flags, payload length, operation data,
# source actor, destination actor (big endian); the node answers a connection with one.
BASP_HEADER = struct.Struct(">B3xIQQQ")
CLIENT_HANDSHAKE = 1
FOUR_GIB = 0xFFFFFFFF

# How long a refused client may take (its --timeout is 3 s; a refusal is usually instant).
REFUSAL_SECONDS = 5
# The node's resident memory may grow by less than this while unauthenticated peers announce
# 4 GiB frames (measured: it does not grow; the node itself needs ~22 MiB in memory mode, more
# under AddressSanitizer).
RSS_GROWTH_BOUND_MIB = 64


def tls_node(ctx, certs, extra_args=(), **kw):
    return ctx.node(durability=kw.pop("durability", "memory"),
                    extra=certs.node_args() + list(extra_args), **kw)


def rss_mib(node, field="VmRSS"):
    with open(f"/proc/{node.proc.pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


def tls_context(ca=None, cert=None, key=None):
    """A TLS client context as an outsider would build it (no host name check: CAF 0.17
    checks none either)."""
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    if ca:
        c.load_verify_locations(ca)
    else:
        c.verify_mode = ssl.CERT_NONE
    if cert:
        c.load_cert_chain(cert, key)
    return c


def tls_connect(node, context):
    """Connects and completes the client's side of the handshake; returns the TLS socket.
    With TLS 1.3 a client finishes before the node has checked its certificate, so a refusal
    shows on the first read."""
    raw = socket.create_connection(("127.0.0.1", node.port), timeout=5)
    return context.wrap_socket(raw, server_hostname="localhost")


def read_refusal(sock, what):
    """Reads until the node closes; fails if a byte of BASP arrives."""
    sock.settimeout(REFUSAL_SECONDS)
    began = time.monotonic()
    try:
        data = sock.recv(4096)
    except ssl.SSLError as e:
        return f"{e.reason}"  # the node's TLS alert, e.g. CERTIFICATE_REQUIRED
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        raise AssertionError(f"{what}: not refused within {REFUSAL_SECONDS}s")
    check_eq(data, b"", f"{what}: bytes from the node after {time.monotonic() - began:.1f}s")
    return "closed"


def every_command_with_a_good_certificate(ctx):
    certs = ctx.certs()
    node = tls_node(ctx, certs, durability="sync")
    cli = ctx.cli(node, certs.client_args())
    check_eq(cli.ok("set", "users/1", '{"name":"ada"}'), "1\n", "set")
    check_eq(cli.ok("set", "--if-revision", "0", "users/2", "b"), "2\n", "set --if-revision")
    key = cli.ok("push", "events/*", "hello").strip()
    check(key.startswith("events/"), f"push: {key!r}")
    obj = json.loads(cli.ok("get", "users/1"))
    check_eq(obj["data"], {"name": "ada"}, "get")
    check_eq(cli.ok("get", "--raw", "users/2"), "b", "get --raw")
    check_eq([o["path"] for o in json.loads(cli.ok("list", "users/*", "--asc"))],
             ["users/1", "users/2"], "list")
    check_eq(cli.ok("keys", "users/*"), "users/1\nusers/2\n", "keys")
    watch = ctx.track(cli.spawn("watch", "users/*", "--count", "1"))
    wait_until("the watcher to subscribe",
               lambda: json.loads(cli.ok("stats"))["subscribers"] == 1)
    cli.ok("set", "users/3", "c")
    out, err = watch.communicate(timeout=20)
    check_eq(watch.returncode, 0, f"watch over TLS ({err!r})")
    check_eq(json.loads(out)["key"], "users/3", "watched event")
    check_eq(json.loads(cli.ok("del", "users/*"))["deleted"], 3, "del")
    check_eq(cli.ok("keys"), f"{key}\n", "keys after del")
    st = json.loads(cli.ok("stats"))
    check_eq(st["keys"], 1, "stats")


def refused_without_certificate(ctx):
    certs = ctx.certs()
    node = tls_node(ctx, certs)
    ctx.cli(node, certs.client_args()).ok("set", "k/1", "v")
    r = ctx.cli(node).run("--timeout", "3", "get", "k/1")
    check_eq(r.code, 3, f"a client without TLS: {r}")
    check(r.err.startswith(f"error: node {node.address} unreachable: ")
          and "--tls-cert" in r.err, f"error message: {r.err!r}")
    check(r.seconds < REFUSAL_SECONDS, f"refused after {r.seconds:.1f}s")
    check(node.alive(), "node died")


def refused_with_another_ca(ctx):
    certs = ctx.certs()
    outsider = ctx.certs("outsider")
    node = tls_node(ctx, certs)
    ctx.cli(node, certs.client_args()).ok("set", "k/1", "v")
    r = ctx.cli(node, outsider.client_args()).run("--timeout", "3", "get", "k/1")
    check_eq(r.code, 3, f"a client of another CA: {r}")
    check(r.err.startswith(f"error: node {node.address} unreachable: ")
          and "certificate" in r.err, f"error message: {r.err!r}")
    check(r.seconds < REFUSAL_SECONDS, f"refused after {r.seconds:.1f}s")
    check_eq(ctx.cli(node, certs.client_args()).ok("get", "--raw", "k/1"), "v",
             "the node still serves its own clients")


def tls_peers_without_a_valid_certificate_get_no_basp_byte(ctx):
    certs = ctx.certs()
    outsider = ctx.certs("outsider")
    node = tls_node(ctx, certs)
    # The control: with a certificate of the node's CA, the node's first bytes are its BASP
    # handshake. This is what the refused peers below must never see.
    good = tls_connect(node, tls_context(certs.ca, certs.path("client.pem"),
                                         certs.path("client.key")))
    good.settimeout(5)
    first = good.recv(BASP_HEADER.size)
    check_eq(len(first), BASP_HEADER.size, "a certificate holder gets the BASP handshake")
    good.close()
    peers = {
        "no certificate": tls_context(certs.ca),
        "another CA's certificate": tls_context(certs.ca, outsider.path("client.pem"),
                                                outsider.path("client.key")),
        "another CA's certificate, trusting anything": tls_context(
            None, outsider.path("client.pem"), outsider.path("client.key")),
    }
    for what, context in peers.items():
        try:
            sock = tls_connect(node, context)
        except (ssl.SSLError, ConnectionResetError) as e:
            continue  # refused during the handshake itself (TLS 1.2 style): fine
        try:
            sock.sendall(BASP_HEADER.pack(CLIENT_HANDSHAKE, 64, 3, 0, 0) + bytes(64))
        except (ssl.SSLError, OSError):
            pass
        how = read_refusal(sock, what)
        print(f"  {what}: refused ({how})")
        sock.close()
    check(node.alive(), "node died")


def plain_tcp_peer_is_refused(ctx):
    certs = ctx.certs()
    node = tls_node(ctx, certs)
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=5)
    sock.sendall(BASP_HEADER.pack(CLIENT_HANDSHAKE, 64, 3, 0, 0) + bytes(64))
    sock.settimeout(REFUSAL_SECONDS)
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        data = b""
    except socket.timeout:
        raise AssertionError(f"plain TCP peer not refused within {REFUSAL_SECONDS}s")
    finally:
        sock.close()
    # Nothing, or a TLS alert record (content type 21): never a BASP header.
    check(data == b"" or data[0] == 21, f"the node answered plain TCP with {data[:16]!r}")
    check_eq(ctx.cli(node, certs.client_args()).ok("stats").startswith("{"), True, "serves")


def tls_client_against_a_mute_port(ctx):
    # A port that accepts TCP and never answers: the TLS handshake hangs, and CAF 0.17 would
    # wait for it forever when the CLI shuts down; the CLI reports and leaves.
    certs = ctx.certs()
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        for timeout in ("2", "8"):
            r = ctx.cli(None, certs.client_args()).run(
                "--node", f"127.0.0.1:{mute.getsockname()[1]}", "--timeout", timeout, "stats",
                node=False)
            check_eq(r.code, 3, f"a TLS client against a mute port (--timeout {timeout}): {r}")
            check("unreachable" in r.err and "is it a TLS node?" in r.err, f"error: {r.err!r}")
            check(r.seconds < 12, f"took {r.seconds:.1f}s")


def tls_client_against_a_plain_node(ctx):
    certs = ctx.certs()
    node = ctx.node(durability="memory")
    r = ctx.cli(node, certs.client_args()).run("--timeout", "3", "stats")
    check_eq(r.code, 3, f"a TLS client against a plain node: {r}")
    check("unreachable" in r.err and "TLS" in r.err, f"error message: {r.err!r}")
    check(r.seconds < REFUSAL_SECONDS, f"refused after {r.seconds:.1f}s")


def four_gib_frame_headers_from_unauthenticated_peers(ctx):
    certs = ctx.certs()
    outsider = ctx.certs("outsider")
    # A short connection timeout, so that the control below also shows the stalled frame of a
    # certificate holder being dropped.
    node = tls_node(ctx, certs, extra_args=["--middleman.heartbeat-interval=1s",
                                            "--middleman.connection-timeout=5s"])
    cli = ctx.cli(node, certs.client_args())
    cli.ok("set", "k/1", "v")
    before = rss_mib(node)
    header = BASP_HEADER.pack(CLIENT_HANDSHAKE, FOUR_GIB, 3, 0, 0)
    held = []
    try:
        for _ in range(3):
            # Plain TCP: the header is the first thing the node's TLS layer reads.
            raw = socket.create_connection(("127.0.0.1", node.port), timeout=5)
            raw.sendall(header)
            held.append(raw)
            for context in (tls_context(certs.ca),
                            tls_context(certs.ca, outsider.path("client.pem"),
                                        outsider.path("client.key"))):
                try:
                    sock = tls_connect(node, context)
                    sock.sendall(header)
                    held.append(sock)
                except (ssl.SSLError, OSError):
                    pass  # refused before the header could even be sent
        time.sleep(2)  # what the node would allocate, it would have by now
        peak = rss_mib(node)
        print(f"  RSS {before:.0f} MiB before, {peak:.0f} MiB with {len(held)} unauthenticated "
              "peers that sent a header announcing 4 GiB")
        check(len(held) >= 3, f"only {len(held)} peers got to send the header")
        check(peak < before + RSS_GROWTH_BOUND_MIB,
              f"RSS grew from {before:.0f} to {peak:.0f} MiB: more than {RSS_GROWTH_BOUND_MIB} MiB")
        check_eq(cli.ok("get", "--raw", "k/1"), "v", "the node serves others meanwhile")
    finally:
        for s in held:
            s.close()
    # The control: the same kind of header from a certificate holder is allocated (CAF 0.17
    # sizes the buffer from it), so the measurement above would have seen it. 256 MiB keeps
    # the control cheap. The holder then stalls: after the connection timeout (5 s here, 30 s
    # by default) the node closes the connection and the buffer is gone.
    good = tls_connect(node, tls_context(certs.ca, certs.path("client.pem"),
                                         certs.path("client.key")))
    try:
        good.sendall(BASP_HEADER.pack(CLIENT_HANDSHAKE, 256 << 20, 3, 0, 0))
        grown = wait_until("the node to allocate the announced 256 MiB",
                           lambda: rss_mib(node) > before + 180 and rss_mib(node))
        print(f"  control: RSS {grown:.0f} MiB after a certificate holder announced 256 MiB")
        began = time.monotonic()
        wait_until("the stalled frame to be dropped",
                   lambda: rss_mib(node) < before + RSS_GROWTH_BOUND_MIB, timeout=30,
                   interval=0.5)
        print(f"  RSS {rss_mib(node):.0f} MiB {time.monotonic() - began:.1f}s later: the "
              "stalled connection was closed")
    finally:
        good.close()
    check(node.alive(), "node died")
    check_eq(cli.ok("get", "--raw", "k/1"), "v", "the node serves others afterwards")


def values_claiming_four_gib_from_a_certificate_holder(ctx):
    # A certificate holder sends well-formed `set` messages whose value claims 2^32 - 1 bytes
    # and carries 16 (huge_value_client.cpp). The value's decoder checks the claim against what
    # is left of the message before allocating: the node refuses the message, allocates
    # nothing for it, stores nothing, and goes on serving, this client included. (CAF 0.17
    # turns a message whose element fails to decode into an empty one, so the client's error
    # is CAF's `unexpected_message`, not the decoder's `too_large`.)
    certs = ctx.certs()
    node = tls_node(ctx, certs)
    cli = ctx.cli(node, certs.client_args())
    cli.ok("set", "k/1", "v")
    before = rss_mib(node)
    # Untouched pages of a huge malloc never count in RSS: the peak of the address space
    # shows an allocation even if nothing was written into it.
    vm_before = rss_mib(node, "VmPeak")
    client = os.environ.get("OOO_HUGE_VALUE_CLIENT")
    check(client, "OOO_HUGE_VALUE_CLIENT names the huge_value_client binary (ctest sets it)")
    r = subprocess.run([client, node.address, "--tls-cert", certs.path("client.pem"),
                        "--tls-key", certs.path("client.key"), "--tls-ca", certs.ca,
                        "--count", "5"], capture_output=True, text=True, timeout=60)
    print(f"  client: {r.stdout.strip()!r}")
    check_eq(r.returncode, 0, f"the node answers the same client afterwards ({r.stderr!r})")
    check_eq(r.stdout, "set: error: system_error(unexpected_message)\n" * 5 + "active: true\n",
             "each lying set is refused, then the connection still serves")
    peak = rss_mib(node)
    vm_peak = rss_mib(node, "VmPeak")
    print(f"  RSS {before:.0f} MiB before, {peak:.0f} MiB after five values claiming 4 GiB; "
          f"peak address space {vm_before:.0f} -> {vm_peak:.0f} MiB")
    check(peak < before + RSS_GROWTH_BOUND_MIB,
          f"RSS grew from {before:.0f} to {peak:.0f} MiB: more than {RSS_GROWTH_BOUND_MIB} MiB")
    check(vm_peak < vm_before + RSS_GROWTH_BOUND_MIB,
          f"the address space peaked at {vm_peak:.0f} MiB (from {vm_before:.0f}): something "
          "allocated what the message claimed")
    check_eq(cli.run("get", "huge/0").code, 1, "nothing was stored under the lying key")
    check_eq(json.loads(cli.ok("stats"))["keys"], 1, "only the honest key is stored")
    check(node.alive(), "node died")


def live_connection_survives_failing_peers(ctx):
    # Outsiders fail their handshakes next to a quiet, healthy watcher for longer than the
    # watcher's heartbeat interval (5 s): each failure leaves an error in OpenSSL's queue of the
    # node's network thread, and CAF 0.17 alone would close the watcher's connection at its next
    # heartbeat (transport/openssl_error_queue.cpp).
    certs = ctx.certs()
    outsider = ctx.certs("outsider")
    node = tls_node(ctx, certs)
    cli = ctx.cli(node, certs.client_args())
    watch = ctx.track(cli.spawn("watch", "w/*", "--count", "1"))
    wait_until("the watcher to subscribe", lambda: json.loads(cli.ok("stats"))["subscribers"] == 1)
    deadline = time.monotonic() + 12
    knocks = 0
    while time.monotonic() < deadline:
        for context in (tls_context(certs.ca),
                        tls_context(None, outsider.path("client.pem"),
                                    outsider.path("client.key"))):
            try:
                sock = tls_connect(node, context)
                read_refusal(sock, "outsider")
                sock.close()
            except (ssl.SSLError, OSError):
                pass
            knocks += 1
        # A client that closes without TLS close_notify, as every CAF 0.17 client does.
        sock = tls_connect(node, tls_context(certs.ca, certs.path("client.pem"),
                                             certs.path("client.key")))
        sock.close()
        if watch.poll() is not None:
            raise AssertionError(f"the watcher died after {knocks} failed handshakes: "
                                 f"{watch.stderr.read().decode(errors='replace')!r}")
        time.sleep(0.5)
    check_eq(json.loads(cli.ok("stats"))["subscribers"], 1, "the watcher is still subscribed")
    cli.ok("set", "w/1", "x")
    out, err = watch.communicate(timeout=20)
    check_eq(watch.returncode, 0, f"watcher after {knocks} failed handshakes ({err!r})")
    check_eq(json.loads(out)["key"], "w/1", "the watcher's event")


def cpu_seconds(node):
    with open(f"/proc/{node.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def silent_peers_do_not_stop_the_service(ctx):
    # A TCP connection that never starts its TLS handshake: CAF 0.17 retries writing its BASP
    # handshake while TLS waits for the peer, which busy-spins the node's network thread (one
    # core, however many such peers) until the peer goes away. Everyone else is still served.
    certs = ctx.certs()
    node = tls_node(ctx, certs)
    cli = ctx.cli(node, certs.client_args())
    cli.ok("set", "k/1", "v")
    silent = [socket.create_connection(("127.0.0.1", node.port), timeout=5) for _ in range(3)]
    try:
        cpu0, began = cpu_seconds(node), time.monotonic()
        for i in range(10):
            check_eq(cli.ok("set", f"k/{i}", str(i)), f"{i}\n", "set next to silent peers")
        check_eq(cli.ok("get", "--raw", "k/9"), "9", "get next to silent peers")
        time.sleep(max(0.0, 3 - (time.monotonic() - began)))
        share = (cpu_seconds(node) - cpu0) / (time.monotonic() - began)
        print(f"  node CPU with 3 silent TCP peers: {100 * share:.0f}% of one core")
        # CAF's shutdown waits for the half-open TLS connections; the node's watchdog ends the
        # process 3 s after the store closed.
        began = time.monotonic()
        check_eq(node.stop(), 0, "SIGTERM with silent peers connected")
        check(time.monotonic() - began < 10, "stop took too long")
    finally:
        for s in silent:
            s.close()


def certificate_files_removed_while_running(ctx):
    # CAF 0.17 reads the files for every connection and aborts the process when one fails to
    # load; the node hands it in-memory copies made at start-up (transport::pin).
    certs = ctx.certs()
    node = tls_node(ctx, certs)
    cli = ctx.cli(node, certs.client_args())
    cli.ok("set", "k/1", "v")
    for name in ("node.pem", "node.key", "ca.pem"):
        os.rename(certs.path(name), certs.path(name + ".moved"))
    with open(certs.path("node.key"), "w") as f:
        f.write("half-written\n")
    # The client reads its own files at start-up: give it the moved CA.
    client = ctx.cli(node, ["--tls-cert", certs.path("client.pem"), "--tls-key",
                            certs.path("client.key"), "--tls-ca", certs.path("ca.pem.moved")])
    for _ in range(3):
        check_eq(client.ok("get", "--raw", "k/1"), "v", "served after the files went away")
    check(node.alive(), "node died after its certificate files went away")


def bad_tls_files_are_named(ctx):
    certs = ctx.certs()
    cases = [
        (["--tls-cert", certs.path("node.pem"), "--tls-key", certs.path("client.key"),
          "--tls-ca", certs.ca], "does not belong to --tls-cert"),
        (["--tls-cert", certs.path("node.pem"), "--tls-ca", certs.ca], "missing: --tls-key"),
        (["--tls-cert", certs.path("nothing.pem"), "--tls-key", certs.path("node.key"),
          "--tls-ca", certs.ca], "--tls-cert " + certs.path("nothing.pem")),
        (["--tls-cert", certs.path("client.pem"), "--tls-key", certs.path("client.key"),
          "--tls-ca", certs.ca], "not a node's certificate"),
        (["--tls-cert", certs.path("node.pem"), "--tls-key", certs.path("node.key"),
          "--tls-ca", certs.path("node.key")], "--tls-ca " + certs.path("node.key")),
    ]
    for args, want in cases:
        r = subprocess.run([ctx.daemon, "--port", "0", "--durability", "memory", *args],
                           capture_output=True, timeout=20)
        err = r.stderr.decode()
        check_eq(r.returncode, 2, f"node exit code for {args}: {err}")
        check(want in err, f"node error for {args} lacks {want!r}: {err!r}")
    # The CLI checks its files the same way, before connecting.
    r = ctx.cli(None).run("--tls-cert", certs.path("client.pem"), "--tls-key",
                          certs.path("node.key"), "--tls-ca", certs.ca, "stats", node=False)
    check_eq(r.code, 2, f"CLI with a key of another certificate: {r}")
    check_eq(r.err, f"error: --tls-key {certs.path('node.key')} does not belong to --tls-cert "
             f"{certs.path('client.pem')}\n", "CLI error")


if __name__ == "__main__":
    run_tests({
        "every_command_with_a_good_certificate": every_command_with_a_good_certificate,
        "refused_without_certificate": refused_without_certificate,
        "refused_with_another_ca": refused_with_another_ca,
        "tls_peers_without_a_valid_certificate_get_no_basp_byte":
            tls_peers_without_a_valid_certificate_get_no_basp_byte,
        "plain_tcp_peer_is_refused": plain_tcp_peer_is_refused,
        "tls_client_against_a_plain_node": tls_client_against_a_plain_node,
        "tls_client_against_a_mute_port": tls_client_against_a_mute_port,
        "four_gib_frame_headers_from_unauthenticated_peers":
            four_gib_frame_headers_from_unauthenticated_peers,
        "values_claiming_four_gib_from_a_certificate_holder":
            values_claiming_four_gib_from_a_certificate_holder,
        "live_connection_survives_failing_peers": live_connection_survives_failing_peers,
        "silent_peers_do_not_stop_the_service": silent_peers_do_not_stop_the_service,
        "certificate_files_removed_while_running": certificate_files_removed_while_running,
        "bad_tls_files_are_named": bad_tls_files_are_named,
    })
