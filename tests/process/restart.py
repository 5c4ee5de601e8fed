#!/usr/bin/env python3
"""A node restarted on the same data directory keeps every value and the revision counter."""

import json
import signal

from harness import check, check_eq, run_tests


def restart_keeps_data_and_revision(ctx):
    for mode in ("sync", "async"):
        node = ctx.node(name=mode, durability=mode)
        cli = ctx.cli(node)
        cli.ok("set", "users/1", '{"name":"ada"}')
        cli.ok("set", "users/2", "two")
        cli.ok("set", "users/2", "two again")
        pushed = cli.ok("push", "log/*", "entry").strip()
        cli.ok("set", "gone/1", "x")
        cli.ok("del", "gone/1")
        before = {k: json.loads(cli.ok("get", k)) for k in ("users/1", "users/2", pushed)}
        rev = json.loads(cli.ok("stats"))["revision"]
        check_eq(rev, 6, f"{mode}: revision before restart")
        check_eq(node.stop(signal.SIGTERM), 0, f"{mode}: exit code")

        node.start()
        after = {k: json.loads(cli.ok("get", k)) for k in before}
        check_eq(after, before, f"{mode}: objects after restart")
        check_eq(cli.run("get", "gone/1").code, 1, f"{mode}: deleted key stays deleted")
        st = json.loads(cli.ok("stats"))
        check_eq((st["keys"], st["revision"]), (3, rev), f"{mode}: keys and revision")
        cli.ok("set", "users/3", "three")
        check_eq(json.loads(cli.ok("get", "users/3"))["revision"], rev + 1,
                 f"{mode}: revisions continue, never reused")
        check_eq(node.stop(), 0, f"{mode}: second exit code")


def kill_9_then_restart(ctx):
    # sync mode: every answered write survives a kill -9 of the node.
    node = ctx.node()
    cli = ctx.cli(node)
    for i in range(20):
        cli.ok("set", f"k/{i}", str(i))
    node.stop(signal.SIGKILL)
    node.start()
    check_eq(json.loads(cli.ok("stats"))["keys"], 20, "keys after kill -9")
    check_eq(cli.ok("get", "--raw", "k/19"), "19", "last write after kill -9")


def memory_mode_forgets(ctx):
    node = ctx.node(durability="memory")
    cli = ctx.cli(node)
    cli.ok("set", "m/1", "x")
    node.stop()
    node.start()
    check_eq(json.loads(cli.ok("stats"))["keys"], 0, "memory mode starts empty")


if __name__ == "__main__":
    run_tests({
        "restart_keeps_data_and_revision": restart_keeps_data_and_revision,
        "kill_9_then_restart": kill_9_then_restart,
        "memory_mode_forgets": memory_mode_forgets,
    })
