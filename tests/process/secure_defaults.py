#!/usr/bin/env python3
"""The node's secure defaults: loopback unless told otherwise, no plain TCP on another address
without --insecure, one port only, TLS settable from the ini file. Nothing here listens on an
address other than loopback: the non-loopback cases use 192.0.2.1 (TEST-NET-1, not on this
machine), where a node that passed the checks fails to bind (exit 1) while a refused one never
tries (exit 2)."""

import json
import os
import signal
import subprocess
import time

from harness import LISTENING, check, check_eq, read_line, run_tests

NOT_HERE = "192.0.2.1"


def run_node(ctx, *args):
    r = subprocess.run([ctx.daemon, "--port", "0", "--durability", "memory", *args],
                       capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    return r.returncode, r.stderr.decode(errors="replace")


def loopback_by_default(ctx):
    proc = ctx.track(subprocess.Popen([ctx.daemon, "--port", "0", "--durability", "memory"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    line = read_line(proc.stdout, time.monotonic() + 20).decode().rstrip("\n")
    check(LISTENING.match(line) is not None, f"default host: {line!r}")
    proc.send_signal(signal.SIGTERM)
    check_eq(proc.wait(timeout=20), 0, "exit code")


def plain_tcp_elsewhere_needs_insecure(ctx):
    for host in ("0.0.0.0", NOT_HERE, "::", "db.example"):
        code, err = run_node(ctx, "--host", host)
        check_eq(code, 2, f"plain TCP on {host}: {err}")
        check(f"--host {host} is not a loopback address" in err and "--insecure" in err
              and "--tls-cert" in err, f"error for {host}: {err!r}")
    code, err = run_node(ctx, "--host", NOT_HERE, "--insecure")
    check_eq(code, 1, f"--insecure passes the check, then binding fails: {err}")
    check("warning --insecure: plain TCP on 192.0.2.1" in err, f"no warning: {err!r}")
    check(f"cannot listen on {NOT_HERE}:" in err, f"bind error: {err!r}")


def tls_elsewhere_is_allowed(ctx):
    certs = ctx.certs()
    code, err = run_node(ctx, "--host", NOT_HERE, *certs.node_args())
    check_eq(code, 1, f"TLS on {NOT_HERE} passes the check, then binding fails: {err}")
    check(f"cannot listen on {NOT_HERE}:" in err and "warning" not in err, f"error: {err!r}")


def contradictions_are_refused(ctx):
    certs = ctx.certs()
    cases = [
        (["--insecure", *certs.node_args()], "--insecure allows plain TCP"),
        (["--middleman.enable-automatic-connections"],
         "enable-automatic-connections must stay off"),
        (["--openssl.certificate=" + certs.path("node.pem")], "not with openssl.certificate"),
        (["--openssl.cafile=" + certs.ca], "not with openssl.cafile"),
        (["--middleman.heartbeat-interval=20s"], "more than twice --middleman.heartbeat-interval"),
    ]
    for args, want in cases:
        code, err = run_node(ctx, *args)
        check_eq(code, 2, f"exit code for {args}: {err}")
        check(want in err, f"error for {args} lacks {want!r}: {err!r}")
    # Heartbeats may be turned off altogether.
    proc = ctx.track(subprocess.Popen(
        [ctx.daemon, "--port", "0", "--durability", "memory", "--middleman.heartbeat-interval=0s",
         "--middleman.connection-timeout=0s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    line = read_line(proc.stdout, time.monotonic() + 20).decode().rstrip("\n")
    check(LISTENING.match(line) is not None, f"without heartbeats: {line!r}")
    proc.send_signal(signal.SIGTERM)
    check_eq(proc.wait(timeout=20), 0, "exit code")


def tls_from_the_config_file(ctx):
    certs = ctx.certs()
    ini = os.path.join(ctx.dir, "node.ini")
    with open(ini, "w") as f:
        f.write(f'[global]\nhost="127.0.0.1"\nport=0\ndurability="memory"\n'
                f'tls-cert="{certs.path("node.pem")}"\ntls-key="{certs.path("node.key")}"\n'
                f'tls-ca="{certs.ca}"\n')
    proc = ctx.track(subprocess.Popen([ctx.daemon, "--config", ini], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE))
    line = read_line(proc.stdout, time.monotonic() + 20).decode().rstrip("\n")
    m = LISTENING.match(line)
    check(m is not None, f"no listening line: {line!r}")

    class Addr:
        address = f"127.0.0.1:{m.group(2)}"
    st = json.loads(ctx.cli(Addr, certs.client_args()).ok("stats"))
    check_eq(st["durability"], "memory", "config file applied")
    r = ctx.cli(Addr).run("--timeout", "3", "stats")
    check_eq(r.code, 3, f"a client without TLS against the ini's TLS node: {r}")
    proc.send_signal(signal.SIGTERM)
    check_eq(proc.wait(timeout=20), 0, "exit code")


if __name__ == "__main__":
    run_tests({
        "loopback_by_default": loopback_by_default,
        "plain_tcp_elsewhere_needs_insecure": plain_tcp_elsewhere_needs_insecure,
        "tls_elsewhere_is_allowed": tls_elsewhere_is_allowed,
        "contradictions_are_refused": contradictions_are_refused,
        "tls_from_the_config_file": tls_from_the_config_file,
    })
