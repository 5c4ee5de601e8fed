"""Locks and leases on failover. A lock is granted by the leader only after a Raft barrier
committed (a leader cut off from the majority grants none), and it lives as long as the
leadership that granted it: when the leader dies, every lock it granted ends as if its lease
had run out. Here:

1. a client locks a key through the group and writes with its token;
2. the leader is killed with kill -9; a new one is elected;
3. the old token is refused (a write naming it and an unlock get `lock_not_found`: the token
   fences the old holder out), a plain write goes through (the lock is gone, nobody waits for
   its 10-minute lease), and a new lock of the key is granted with a different token;
4. with both followers stopped (SIGSTOP), the lone leader grants no lock.

    locks.py OOO_STORAGED OOO_STORAGE OOO_GROUP_CLIENT"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from group_harness import Failure, Group, check, log, script  # noqa: E402


def main(daemon, cli, client):
    group = Group(daemon, cli)
    ok = False
    proc = None
    try:
        group.start()
        leader = group.leader()
        out = os.path.join(group.work, "locks.json")
        proc = subprocess.Popen([client, "--locks", "--nodes", group.addresses(), "--out", out],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        group.helpers.append(proc)
        line = proc.stdout.readline().strip()
        check(line.startswith("locked "), f"no lock: {line!r}")
        log(f"{line} through node {leader.id}; kill -9 of the leader")
        leader = group.leader()
        leader.kill()
        survivors = [n for n in group.nodes if n is not leader]
        group.leader(among=survivors)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        check(proc.wait(timeout=120) == 0, "the lock client failed")
        result = json.load(open(out))
        log(f"after the failover: {result}")
        check(result["first_write"] == "ok", "the holder could not write under its lock")
        check(result["stale_write"].startswith("lock_not_found"),
              "a write with a token of the dead leader was not refused")
        check(result["stale_unlock"].startswith("lock_not_found"),
              "an unlock with a token of the dead leader was not refused")
        check(result["plain_write"] == "ok", "the dead leader's lock still blocks writers")
        check(result["new_lock"] == "ok" and result["new_token"] != result["token"],
              "no new lock, or the same token again")
        code, value, err = group.cli("get", "--raw", "l/held", nodes=survivors)
        check((code, value) == (0, "plain"), f"l/held reads {code} {value} {err}")

        log("a lone leader grants no lock")
        leader.start()
        leader = group.leader()
        followers = [n for n in group.nodes if n is not leader]
        for n in followers:
            n.pause()
        began = time.monotonic()
        lone = subprocess.run([client, "--locks", "--nodes", leader.address, "--out",
                               os.path.join(group.work, "lone.json")],
                              input="go\n", capture_output=True, text=True, timeout=120)
        log(f"lock on the lone leader: exit {lone.returncode} after "
            f"{time.monotonic() - began:.1f}s: {lone.stderr.strip()}")
        check(lone.returncode != 0 and "locked" not in lone.stdout,
              "a leader without a majority granted a lock")
        for n in followers:
            n.cont()
        ok = True
    finally:
        group.close(ok)


if __name__ == "__main__":
    script(main, __doc__, 3)
