#!/usr/bin/env python3
"""`ooo-storage watch` in a second process: receives events; killing it makes the node drop the
subscriber."""

import json
import signal
import time

from harness import Failure, check, check_eq, read_line, run_tests, wait_until


def subscribers(cli):
    return json.loads(cli.ok("stats"))["subscribers"]


def watch_receives_events(ctx):
    node = ctx.node()
    cli = ctx.cli(node)
    cli.ok("set", "users/0", "before")
    watch = ctx.track(cli.spawn("watch", "users/*", "--count", "4"))
    wait_until("the watcher to subscribe", lambda: subscribers(cli) == 1)
    cli.ok("set", "users/1", '{"name":"ada"}')
    cli.ok("set", "other/1", "not watched")
    cli.ok("set", "users/1", "plain")
    cli.ok("del", "users/1")
    cli.ok("del", "users/*")
    out, err = watch.communicate(timeout=20)
    check_eq(watch.returncode, 0, f"watch exit code ({err!r})")
    events = [json.loads(line) for line in out.decode().splitlines()]
    check_eq(len(events), 4, f"events: {events}")
    for ev in events:
        check_eq(list(ev.keys()), ["revision", "op", "key", "object", "unit"], "event fields")
        check_eq(ev["unit"], ev["revision"], "a single-key change is its own unit")
    check_eq([(e["op"], e["key"]) for e in events],
             [("set", "users/1"), ("set", "users/1"), ("del", "users/1"), ("del", "users/0")],
             "ops and keys")
    check_eq(events[0]["object"]["data"], {"name": "ada"}, "object embedded in the event")
    check_eq(events[1]["object"]["data"], "plain", "non-JSON data as a string")
    revs = [e["revision"] for e in events]
    check(revs == sorted(revs) and len(set(revs)) == 4, f"revisions in order: {revs}")
    wait_until("the node to drop the finished watcher", lambda: subscribers(cli) == 0)


def watch_lines_are_flushed(ctx):
    # Each event is readable as soon as it happens, not when the watcher exits.
    node = ctx.node(durability="memory")
    cli = ctx.cli(node)
    watch = ctx.track(cli.spawn("watch", "a/*"))
    wait_until("the watcher to subscribe", lambda: subscribers(cli) == 1)
    for i in range(3):
        cli.ok("set", f"a/{i}", str(i))
        line = read_line(watch.stdout, time.monotonic() + 10)
        check(line.endswith(b"\n"), f"event {i} not flushed: {line!r}")
        check_eq(json.loads(line)["key"], f"a/{i}", "event key")
    watch.send_signal(signal.SIGINT)
    check_eq(watch.wait(timeout=10), 0, "watch exit code after SIGINT")
    wait_until("the node to drop the interrupted watcher", lambda: subscribers(cli) == 0)


def killed_watcher_is_dropped(ctx):
    node = ctx.node()
    cli = ctx.cli(node)
    watchers = [ctx.track(cli.spawn("watch", "k/*")) for _ in range(2)]
    wait_until("two watchers", lambda: subscribers(cli) == 2)
    cli.ok("set", "k/1", "x")
    for w in watchers:
        w.kill()  # SIGKILL: no unsubscribe, the connection just goes away
        w.wait(timeout=10)
    began = time.monotonic()
    wait_until("the node to drop killed watchers", lambda: subscribers(cli) == 0, timeout=5)
    took = time.monotonic() - began
    # The store keeps serving writes (events to the dead watchers must not pile up).
    for i in range(50):
        cli.ok("set", f"k/{i}", "y")
    check_eq(subscribers(cli), 0, "no subscriber comes back")
    check(node.alive(), "node died")
    print(f"  dropped after {took:.2f}s")


def watch_since_replays(ctx):
    node = ctx.node(durability="memory")
    cli = ctx.cli(node)
    cli.ok("set", "r/1", "one")
    rev = json.loads(cli.ok("stats"))["revision"]
    cli.ok("set", "r/2", "two")
    cli.ok("set", "r/3", "three")
    r = cli.run("watch", "r/*", "--since", str(rev), "--count", "2", timeout=20)
    check_eq(r.code, 0, f"watch --since: {r}")
    keys = [json.loads(line)["key"] for line in r.out.splitlines()]
    check_eq(keys, ["r/2", "r/3"], "replayed events after --since")


def watch_bad_pattern(ctx):
    cli = ctx.cli(ctx.node(durability="memory"))
    r = cli.run("watch", "bad//pattern", "--count", "1")
    check_eq(r.code, 1, f"watch of an invalid pattern: {r}")
    check(r.err.startswith("error: invalid_path: "), f"message: {r.err!r}")


if __name__ == "__main__":
    run_tests({
        "watch_receives_events": watch_receives_events,
        "watch_lines_are_flushed": watch_lines_are_flushed,
        "killed_watcher_is_dropped": killed_watcher_is_dropped,
        "watch_since_replays": watch_since_replays,
        "watch_bad_pattern": watch_bad_pattern,
    })
