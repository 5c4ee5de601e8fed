#!/usr/bin/env python3
"""Resume across processes: a `watch` in another process is killed mid-stream while a writer
keeps writing; a new `watch --since LAST` resumes from the last revision the first one printed,
and together they saw every event exactly once, in revision order. Also across a node restart.
"""

import json
import threading
import time

from harness import check, check_eq, read_line, run_tests, wait_until

WRITES = 120


def subscribers(cli):
    return json.loads(cli.ok("stats"))["subscribers"]


def write_all(cli, prefix, written, pause=0.0):
    """Writes WRITES keys one by one, recording each answered write."""
    for i in range(WRITES):
        cli.ok("set", f"{prefix}/{i}", str(i))
        written.append(i)
        if pause:
            time.sleep(pause)


def read_events(proc, until, stop_after=None):
    """Reads complete JSON lines from a watch process until it exits or `stop_after` lines."""
    events = []
    while stop_after is None or len(events) < stop_after:
        line = read_line(proc.stdout, until)
        if not line.endswith(b"\n"):
            break
        events.append(json.loads(line))
    return events


def cut_off_and_resume(ctx):
    node = ctx.node()
    cli = ctx.cli(node)
    first = ctx.track(cli.spawn("watch", "s/*"))
    wait_until("the first watcher to subscribe", lambda: subscribers(cli) == 1)
    written = []
    writer = threading.Thread(target=write_all, args=(cli, "s", written, 0.01))
    writer.start()
    try:
        # Cut the first watcher off in the middle of the stream.
        seen_first = read_events(first, time.monotonic() + 60, stop_after=40)
        first.kill()
        first.wait(timeout=10)
        check_eq(len(seen_first), 40, "events the first watcher printed")
        last = seen_first[-1]["revision"]
        check(len(written) < WRITES, "the writer must still be running when the watcher dies")
        second = ctx.track(cli.spawn("watch", "s/*", "--since", str(last),
                                     "--count", str(WRITES - len(seen_first))))
    finally:
        writer.join(timeout=120)
    seen_second = read_events(second, time.monotonic() + 60)
    check_eq(second.wait(timeout=20), 0, "second watcher exit code")
    revisions = [e["revision"] for e in seen_first + seen_second]
    keys = [e["key"] for e in seen_first + seen_second]
    check_eq(len(revisions), WRITES, "events seen in total")
    check_eq(len(set(revisions)), WRITES, "no event seen twice")
    check(revisions == sorted(revisions), "events in revision order")
    check_eq(sorted(keys, key=lambda k: int(k.split("/")[1])),
             [f"s/{i}" for i in range(WRITES)], "every written key seen once")


def resume_across_restart(ctx):
    node = ctx.node()
    cli = ctx.cli(node)
    for i in range(10):
        cli.ok("set", f"r/{i}", str(i))
    node.stop()
    node.start()
    cli = ctx.cli(node)
    cli.ok("set", "r/10", "after restart")
    r = cli.run("watch", "r/*", "--since", "5", "--count", "6", timeout=20)
    check_eq(r.code, 0, f"watch --since after a restart: {r}")
    events = [json.loads(line) for line in r.out.splitlines()]
    check_eq([e["revision"] for e in events], [6, 7, 8, 9, 10, 11], "replayed revisions")
    check_eq(events[-1]["key"], "r/10", "the live event after the replay")


if __name__ == "__main__":
    run_tests({
        "cut_off_and_resume": cut_off_and_resume,
        "resume_across_restart": resume_across_restart,
    })
