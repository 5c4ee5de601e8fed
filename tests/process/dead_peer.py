#!/usr/bin/env python3
"""Heartbeats: a peer that stops answering (SIGSTOP: the process lives, its TCP connection stays
open, nothing more comes from it) is declared dead after middleman.connection-timeout, and the
store drops its subscription; a quiet but healthy watcher (it sends heartbeats) is kept. The
same scene without heartbeats is the control: there the stopped watcher stays subscribed."""

import json
import signal
import time

from harness import check, check_eq, run_tests, wait_until

# The node sends heartbeats every second and cuts a peer off after 10 s of silence; the CLI
# sends its heartbeats every 5 s (its default), so a healthy watcher is never 10 s silent.
HEARTBEATS = ["--middleman.heartbeat-interval=1s", "--middleman.connection-timeout=10s"]
NO_HEARTBEATS = ["--middleman.heartbeat-interval=0s", "--middleman.connection-timeout=0s"]


def subscribers(cli):
    return json.loads(cli.ok("stats"))["subscribers"]


def stopped_watcher_is_dropped_healthy_one_kept(ctx):
    certs = ctx.certs()
    nodes = {
        "heartbeats": ctx.node("hb", durability="memory", extra=certs.node_args() + HEARTBEATS),
        "none": ctx.node("none", durability="memory", extra=certs.node_args() + NO_HEARTBEATS),
    }
    clis = {name: ctx.cli(node, certs.client_args()) for name, node in nodes.items()}
    stopped = {}
    healthy = None
    for name, cli in clis.items():
        stopped[name] = ctx.track(cli.spawn("watch", "w/*"))
        if name == "heartbeats":
            healthy = ctx.track(cli.spawn("watch", "w/*", "--count", "1"))
    wait_until("the watchers to subscribe", lambda: subscribers(clis["heartbeats"]) == 2
               and subscribers(clis["none"]) == 1, timeout=20)
    try:
        began = time.monotonic()
        for proc in stopped.values():
            proc.send_signal(signal.SIGSTOP)
        wait_until("the node with heartbeats to drop the stopped watcher",
                   lambda: subscribers(clis["heartbeats"]) == 1, timeout=40, interval=0.5)
        took = time.monotonic() - began
        print(f"  stopped watcher dropped after {took:.1f}s (connection-timeout 10s)")
        check(took >= 8, f"dropped after {took:.1f}s: sooner than the connection timeout")
        check_eq(subscribers(clis["none"]), 1, "without heartbeats the stopped watcher stays")
        # The quiet healthy watcher is still subscribed and gets the next event.
        time.sleep(3)
        check_eq(subscribers(clis["heartbeats"]), 1, "healthy watcher kept")
        clis["heartbeats"].ok("set", "w/1", "x")
        out, err = healthy.communicate(timeout=20)
        check_eq(healthy.returncode, 0, f"healthy watcher ({err!r})")
        check_eq(json.loads(out)["key"], "w/1", "event of the healthy watcher")
    finally:
        for proc in stopped.values():
            proc.kill()
            proc.send_signal(signal.SIGCONT)


if __name__ == "__main__":
    run_tests({
        "stopped_watcher_is_dropped_healthy_one_kept": stopped_watcher_is_dropped_healthy_one_kept,
    })
