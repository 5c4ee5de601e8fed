#!/usr/bin/env python3
"""ooo-storage: every command of the issue's table and every exit code, against a real node."""

import json
import os
import socket
import threading
import time

from harness import Cli, check, check_eq, free_port, run_tests

OBJECT_KEYS = ["path", "index", "created", "updated", "revision", "data"]


def set_get_push(ctx):
    cli = ctx.cli(ctx.node())
    check_eq(cli.ok("set", "users/1", '{"name":"ada"}'), "1\n", "set prints the index")
    obj = json.loads(cli.ok("get", "users/1"))
    check_eq(list(obj.keys()), OBJECT_KEYS, "object fields in order")
    check_eq(obj["path"], "users/1", "path")
    check_eq(obj["index"], "1", "index")
    check_eq(obj["data"], {"name": "ada"}, "valid JSON data is embedded")
    check_eq(obj["updated"], 0, "updated after the first write")
    check(obj["created"] > 0 and obj["revision"] == 1, f"created/revision: {obj}")
    check_eq(cli.ok("get", "--raw", "users/1"), '{"name":"ada"}', "get --raw")

    cli.ok("set", "users/2", "not json {")
    check_eq(json.loads(cli.ok("get", "users/2"))["data"], "not json {",
             "invalid JSON data is a string")
    cli.ok("set", "users/1", "[1,2]")
    again = json.loads(cli.ok("get", "users/1"))
    check_eq(again["data"], [1, 2], "overwritten data")
    check_eq(again["created"], obj["created"], "created is kept on overwrite")
    check(again["updated"] > obj["created"], f"updated after overwrite: {again}")

    # DATA "-" reads standard input, bytes as they are.
    payload = b'{"multi":\n"line"}\n'
    check_eq(cli.ok("set", "users/3", "-", stdin=payload), "3\n", "set from stdin")
    r = cli.run("get", "--raw", "users/3")
    check_eq(r.out.encode(), payload, "stdin bytes round-trip")

    key = cli.ok("push", "events/*", "hello").strip()
    check(key.startswith("events/") and len(key) == len("events/") + 16, f"push key {key!r}")
    check_eq(json.loads(cli.ok("get", key))["data"], "hello", "pushed value")


def set_if_revision(ctx):
    cli = ctx.cli(ctx.node())
    check_eq(cli.ok("set", "--if-revision", "0", "c/1", "a"), "1\n", "create-only set")
    rev = json.loads(cli.ok("get", "c/1"))["revision"]
    r = cli.run("set", "--if-revision", "0", "c/1", "b")
    check_eq(r.code, 1, "create-only set of an existing key")
    check(r.err.startswith("error: conflict: "), f"conflict error: {r.err!r}")
    r = cli.run("set", "--if-revision", str(rev + 100), "c/1", "b")
    check_eq(r.code, 1, "set with a stale revision")
    check_eq(cli.ok("set", "--if-revision", str(rev), "c/1", "c"), "1\n", "matching revision")
    check_eq(cli.ok("get", "--raw", "c/1"), "c", "value after compare-and-set")


def list_keys_del(ctx):
    cli = ctx.cli(ctx.node())
    for i in range(1, 6):
        cli.ok("set", f"items/{i}", f'{{"n":{i}}}')
    cli.ok("set", "other/1", "x")
    newest = json.loads(cli.ok("list", "items/*"))
    check_eq([o["index"] for o in newest], ["5", "4", "3", "2", "1"], "list: newest first")
    check(all(list(o.keys()) == OBJECT_KEYS for o in newest), "list object fields")
    oldest = json.loads(cli.ok("list", "items/*", "--asc"))
    check_eq([o["index"] for o in oldest], ["1", "2", "3", "4", "5"], "list --asc")
    page = json.loads(cli.ok("list", "items/*", "--limit", "2", "--offset", "1"))
    check_eq([o["index"] for o in page], ["4", "3"], "list --limit --offset")
    lo, hi = oldest[1]["created"], oldest[3]["created"]
    window = json.loads(cli.ok("list", "items/*", "--asc", "--from", str(lo), "--to", str(hi)))
    check_eq([o["index"] for o in window], ["2", "3", "4"], "list --from --to")
    check_eq(json.loads(cli.ok("list", "none/*")), [], "list of nothing")

    check_eq(cli.ok("keys", "items/*"), "items/1\nitems/2\nitems/3\nitems/4\nitems/5\n",
             "keys PATTERN")
    check_eq(cli.ok("keys"), "items/1\nitems/2\nitems/3\nitems/4\nitems/5\nother/1\n",
             "keys without a pattern")

    one = json.loads(cli.ok("del", "items/5"))
    check_eq(one["deleted"], 1, "del prints how many keys it deleted")
    many = json.loads(cli.ok("del", "items/*"))
    check_eq(many["deleted"], 4, "glob del counts every key")
    check_eq(many["revision"], one["revision"] + 4, "glob del's revision is its last event's")
    check_eq(json.loads(cli.ok("del", "items/*"))["deleted"], 0, "glob del of nothing")
    check_eq(cli.ok("keys"), "other/1\n", "keys after del")


def stats(ctx):
    cli = ctx.cli(ctx.node())
    cli.ok("set", "s/1", "x")
    cli.ok("set", "s/2", "y")
    st = json.loads(cli.ok("stats"))
    for field in ("keys", "revision", "shards", "subscribers", "dropped_events", "durability"):
        check(field in st, f"stats lacks {field}: {st}")
    check_eq((st["keys"], st["revision"], st["shards"], st["subscribers"], st["durability"]),
             (2, 2, 2, 0, "sync"), "stats values")
    # Two sequential writes: two adapter writes of one change each.
    check_eq((st["commit_batches"], st["commit_changes"]), (2, 2), "group-commit counters")
    for gauge in ("rocksdb.estimate-pending-compaction-bytes", "rocksdb.is-write-stopped",
                  "rocksdb.io_stalls.total_stop"):
        check(gauge in st["persistence"], f"stats lacks the RocksDB gauge {gauge}: {st}")


def exit_1_store_errors(ctx):
    cli = ctx.cli(ctx.node())
    r = cli.run("get", "users/9")
    check_eq((r.code, r.out, r.err), (1, "", "error: not_found: users/9\n"), "get missing key")
    r = cli.run("del", "users/9")
    check_eq((r.code, r.err), (1, "error: not_found: users/9\n"), "del missing key")
    for args, name in ((("set", "bad//key", "x"), "invalid_path"),
                       (("set", "users/*", "x"), "glob_not_allowed"),
                       (("set", "users/1", ""), "invalid_data"),
                       (("push", "users/1", "x"), "glob_required"),
                       (("get", "users/*"), "glob_not_allowed"),
                       (("list", "users/1"), "glob_required"),
                       (("list", "users/*", "--limit", "-1"), "invalid_limit"),
                       (("list", "users/*", "--from", "5", "--to", "1"), "invalid_range")):
        r = cli.run(*args)
        check_eq(r.code, 1, f"exit code of {args}")
        check(r.err.startswith(f"error: {name}: ") or r.err == f"error: {name}\n",
              f"{args}: expected error {name}, got {r.err!r}")
        check_eq(r.out, "", f"stdout of {args}")


def exit_2_usage(ctx):
    cli = Cli(ctx.cli_binary)
    for args in ((), ("nosuchcommand",), ("set", "only-key"), ("get",),
                 ("list", "a/*", "--limit", "many"), ("watch", "a/*", "--count", "x"),
                 ("--node", "localhost", "stats"), ("--node", "127.0.0.1:99999", "stats"),
                 ("get", "a/1", "--bogus")):
        r = cli.run(*args, node=False, timeout=10)
        check_eq(r.code, 2, f"exit code of {args} ({r.err!r})")
        check(r.err != "", f"usage error without a message: {args}")
    r = cli.run("--help", node=False)
    check_eq(r.code, 0, "--help exit code")
    for command in ("set", "push", "get", "list", "keys", "del", "watch", "stats"):
        check(command in r.out, f"--help does not list {command}")
        h = cli.run(command, "--help", node=False)
        check_eq(h.code, 0, f"{command} --help exit code")
        check("Usage" in h.out or "usage" in h.out, f"{command} --help: {h.out!r}")
        check("\x1b[" not in h.out, "colours in --help output")


def exit_3_unreachable(ctx):
    cli = Cli(ctx.cli_binary)
    # Nothing listens.
    port = free_port()
    r = cli.run("--node", f"127.0.0.1:{port}", "get", "a/1", node=False, timeout=20)
    check_eq(r.code, 3, f"nothing listening: {r}")
    check(r.err.startswith(f"error: node 127.0.0.1:{port} unreachable"), f"message: {r.err!r}")
    check(r.seconds < 5, f"took {r.seconds:.1f}s")
    # Something listens but never speaks CAF's protocol: bounded by the request timeout.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept_and_stall():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept_and_stall, daemon=True)
    t.start()
    try:
        port = server.getsockname()[1]
        r = cli.run("--node", f"127.0.0.1:{port}", "--timeout", "2", "stats", node=False,
                    timeout=20)
        check_eq(r.code, 3, f"silent peer: {r}")
        check(r.seconds < 8, f"silent peer took {r.seconds:.1f}s")
    finally:
        stop.set()
        t.join(timeout=5)
        for c in accepted:
            c.close()
        server.close()
    # The node goes away: $OOO_STORAGE_NODE is the default address.
    node = ctx.node(durability="memory")
    env = dict(os.environ, OOO_STORAGE_NODE=node.address)
    check_eq(cli.run("set", "e/1", "x", node=False, env=env).code, 0, "set via $OOO_STORAGE_NODE")
    node.stop()
    r = cli.run("get", "e/1", node=False, env=env, timeout=20)
    check_eq(r.code, 3, f"stopped node: {r}")


def import_lines(ctx):
    cli = ctx.cli(ctx.node())
    lines = [json.dumps({"key": f"imp/{i}", "data": {"n": i}}) for i in range(2500)]
    lines.insert(10, "")  # blank lines are skipped
    lines.append(json.dumps({"key": "imp/text", "data": "plain text"}))
    out = cli.ok("import", "--batch", "1000", "-", stdin=("\n".join(lines) + "\n").encode())
    check_eq(json.loads(out), {"imported": 2501, "failed": 0}, "import summary")
    check_eq(json.loads(cli.ok("get", "imp/1234"))["data"], {"n": 1234}, "an imported object")
    check_eq(cli.ok("get", "--raw", "imp/text"), "plain text", "a string is stored as its bytes")
    st = json.loads(cli.ok("stats"))
    # 2501 sets in three batches: a handful of commits, not one per key.
    check(st["commit_batches"] < 100, f"import commits in batches: {st}")
    # A key the store refuses is reported with its line; the rest is imported.
    bad = "\n".join([json.dumps({"key": "ok/1", "data": 1}),
                      json.dumps({"key": "bad//key", "data": 2}),
                      json.dumps({"key": "ok/2", "data": 3})]) + "\n"
    r = cli.run("import", stdin=bad.encode())
    check_eq(r.code, 1, f"import with a refused key: {r}")
    check_eq(json.loads(r.out), {"imported": 2, "failed": 1}, "partial import summary")
    check("line 2: invalid_path" in r.err, f"refused line named: {r.err!r}")
    # A line that is not an object stops the import (usage error) before its batch is sent.
    r = cli.run("import", stdin=b'{"key":"x/1","data":1}\nnot json\n')
    check_eq(r.code, 2, f"malformed line: {r}")
    check("line 2: not a JSON object" in r.err, f"malformed line named: {r.err!r}")
    check_eq(cli.run("get", "x/1").code, 1, "nothing of the stopped batch was sent")


if __name__ == "__main__":
    run_tests({
        "import_lines": import_lines,
        "set_get_push": set_get_push,
        "set_if_revision": set_if_revision,
        "list_keys_del": list_keys_del,
        "stats": stats,
        "exit_1_store_errors": exit_1_store_errors,
        "exit_2_usage": exit_2_usage,
        "exit_3_unreachable": exit_3_unreachable,
    })
