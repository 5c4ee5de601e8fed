#!/usr/bin/env python3
"""ooo-storaged: start, stop by signal, options, and a data directory held by another node."""

import json
import os
import signal
import subprocess
import time

from harness import check, check_eq, run_tests, wait_until


def sigterm_exits_0(ctx):
    node = ctx.node()
    cli = ctx.cli(node)
    cli.ok("set", "a/1", "x")
    began = time.monotonic()
    check_eq(node.stop(signal.SIGTERM), 0, "exit code after SIGTERM")
    check(time.monotonic() - began < 10, "node took too long to stop")
    err = node.stderr()
    check("store closed" in err, f"no 'store closed' log line:\n{err}")


def sigint_exits_0(ctx):
    node = ctx.node(durability="memory")
    check_eq(node.stop(signal.SIGINT), 0, "exit code after SIGINT")


def async_and_memory_modes(ctx):
    for mode in ("async", "memory"):
        node = ctx.node(name=mode, durability=mode)
        cli = ctx.cli(node)
        cli.ok("set", "k/1", "v")
        stats = cli.ok("stats")
        check(f'"durability":"{mode}"' in stats, f"stats does not say {mode}: {stats}")
        check_eq(node.stop(), 0, f"exit code of the {mode} node")


def stop_with_connected_watcher(ctx):
    # A remote subscriber must not keep the node's actor system alive.
    node = ctx.node()
    cli = ctx.cli(node)
    watch = ctx.track(cli.spawn("watch", "a/*"))
    wait_until("the watcher to subscribe",
               lambda: json.loads(cli.ok("stats"))["subscribers"] == 1)
    cli.ok("set", "a/1", "x")
    began = time.monotonic()
    check_eq(node.stop(), 0, "exit code with a watcher connected")
    took = time.monotonic() - began
    check(took < 5, f"node took {took:.1f}s to stop:\n{node.stderr()}")
    code = watch.wait(timeout=10)
    check_eq(code, 3, "watch exit code once the node is gone")


def help_and_bad_options(ctx):
    r = subprocess.run([ctx.daemon, "--help"], capture_output=True, timeout=10)
    check_eq(r.returncode, 0, "--help exit code")
    out = r.stdout.decode()
    for opt in ("host", "port", "data-dir", "durability", "shards"):
        check(opt in out, f"--help does not mention {opt}:\n{out}")
    r = subprocess.run([ctx.daemon, "--durability", "fast", "--port", "0"],
                       capture_output=True, timeout=10)
    check_eq(r.returncode, 2, "exit code for a bad --durability")
    check("durability" in r.stderr.decode(), f"error does not name the option: {r.stderr!r}")
    r = subprocess.run([ctx.daemon, "--no-such-option=1"], capture_output=True, timeout=10)
    check_eq(r.returncode, 2, "exit code for an unknown option")


def config_file(ctx):
    ini = os.path.join(ctx.dir, "node.ini")
    with open(ini, "w") as f:
        f.write('[global]\nhost="127.0.0.1"\nport=0\ndurability="memory"\nshards=3\n')
    proc = ctx.track(subprocess.Popen([ctx.daemon, "--config", ini], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE))
    from harness import read_line, LISTENING
    line = read_line(proc.stdout, time.monotonic() + 20).decode()
    m = LISTENING.match(line.rstrip("\n"))
    check(m is not None, f"no listening line: {line!r}")

    class Addr:
        address = f"127.0.0.1:{m.group(2)}"
    stats = ctx.cli(Addr).ok("stats")
    check('"shards":3' in stats and '"durability":"memory"' in stats,
          f"config file not applied: {stats}")
    proc.send_signal(signal.SIGTERM)
    check_eq(proc.wait(timeout=20), 0, "exit code")


def second_node_on_same_dir_fails_fast(ctx):
    first = ctx.node()
    ctx.cli(first).ok("set", "a/1", "x")
    began = time.monotonic()
    r = subprocess.run([ctx.daemon, "--port", "0", "--data-dir", first.data_dir],
                       capture_output=True, timeout=20)
    took = time.monotonic() - began
    check_eq(r.returncode, 1, "exit code of the second node")
    err = r.stderr.decode()
    check(err.startswith("error: persistence_failed: ") and first.data_dir in err
          and "in use" in err, f"unclear error: {err!r}")
    check(r.stdout == b"", f"second node printed on stdout: {r.stdout!r}")
    check(took < 5, f"second node took {took:.1f}s to fail")
    check_eq(ctx.cli(first).ok("get", "--raw", "a/1"), "x", "first node still serves")


def port_in_use_fails(ctx):
    first = ctx.node(durability="memory")
    r = subprocess.run([ctx.daemon, "--port", str(first.port), "--durability", "memory"],
                       capture_output=True, timeout=20)
    check_eq(r.returncode, 1, "exit code when the port is taken")
    check(r.stderr.decode().startswith("error: cannot listen on"), f"unclear: {r.stderr!r}")


if __name__ == "__main__":
    run_tests({
        "sigterm_exits_0": sigterm_exits_0,
        "sigint_exits_0": sigint_exits_0,
        "async_and_memory_modes": async_and_memory_modes,
        "stop_with_connected_watcher": stop_with_connected_watcher,
        "help_and_bad_options": help_and_bad_options,
        "config_file": config_file,
        "second_node_on_same_dir_fails_fast": second_node_on_same_dir_fails_fast,
        "port_in_use_fails": port_in_use_fails,
    })
