"""A minority cannot acknowledge writes; the majority carries on.

1. Both followers stopped with SIGSTOP: the leader is alone. A write sent to it is not
   acknowledged (an error or no answer within the client's timeout, never success), and a
   linearizable read is not served either. After SIGCONT the group serves again, and the
   unacknowledged write is at most applied once (it may commit later: it was proposed).
2. The leader stopped with SIGSTOP: the two others elect a new leader, which serves writes
   within a bound (measured and printed); a write sent to the stopped leader gets no answer.
   After SIGCONT the old leader follows again and every node converges on the same revision
   and the same value of every key written.

    minority.py OOO_STORAGED OOO_STORAGE OOO_GROUP_CLIENT"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from group_harness import Failure, Group, check, log, script  # noqa: E402

FAILOVER_BOUND = 30


def write_until(group, nodes, key, value, bound):
    began = time.monotonic()
    while time.monotonic() - began < bound:
        code, out, err = group.cli("set", key, value, nodes=nodes, timeout=5, budget=30)
        if code == 0:
            return time.monotonic() - began
        time.sleep(0.2)
    raise Failure(f"no write through {[n.id for n in nodes]} within {bound}s")


def main(daemon, cli, _client):
    group = Group(daemon, cli)
    ok = False
    try:
        group.start()
        leader = group.leader()
        followers = [n for n in group.nodes if n is not leader]
        code, _, err = group.cli("set", "m/before", "1", nodes=[leader])
        check(code == 0, f"a write on the healthy group failed: {err}")

        log("1. both followers stopped: the leader is a minority")
        for n in followers:
            n.pause()
        began = time.monotonic()
        code, out, err = group.cli("set", "m/alone", "x", nodes=[leader], timeout=8, budget=60)
        log(f"write to the lone leader: exit {code} after {time.monotonic() - began:.1f}s: "
            f"{out or err}")
        check(code != 0, f"a leader without a majority acknowledged a write: {out}")
        code, out, err = group.cli("get", "m/before", nodes=[leader], timeout=8, budget=60)
        log(f"read from the lone leader: exit {code}: {out or err}")
        check(code != 0, f"a node without a majority served a linearizable read: {out}")
        st = group.stats(leader)
        log(f"the lone node's view: {st and {k: st[k] for k in ('role', 'term', 'revision')}}")
        for n in followers:
            n.cont()
        took = write_until(group, group.nodes, "m/after", "1", FAILOVER_BOUND * 2)
        log(f"the group serves again {took:.1f}s after SIGCONT")
        revision = group.wait_converged(group.nodes)
        code, out, err = group.cli("keys", "m/*")
        check(code == 0, f"keys failed: {err}")
        log(f"every node at revision {revision}; keys {out.split()}")

        log("2. the leader stopped: the others are the majority")
        leader = group.leader()
        others = [n for n in group.nodes if n is not leader]
        leader.pause()
        took = write_until(group, others, "m/majority", "1", FAILOVER_BOUND * 2)
        log(f"the majority's new leader served a write {took:.1f}s after the leader stopped")
        check(took < FAILOVER_BOUND, f"no new leader within {FAILOVER_BOUND}s")
        code, out, err = group.cli("set", "m/stopped", "x", nodes=[leader], timeout=3, budget=30)
        log(f"write to the stopped leader: exit {code}: {out or err}")
        check(code != 0, "a stopped node acknowledged a write")
        leader.cont()
        revision = group.wait_converged(group.nodes)
        code, out, err = group.cli("get", "--raw", "m/majority")
        check((code, out) == (0, "1"), f"m/majority reads {code} {out} {err}")
        st = group.stats(leader)
        check(st and st["role"] == "follower", f"the old leader did not step down: {st}")
        log(f"every node at revision {revision}; the old leader follows again")
        ok = True
    finally:
        group.close(ok)


if __name__ == "__main__":
    script(main, __doc__, 3)
