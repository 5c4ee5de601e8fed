"""Membership and clients that follow the leader, on a real group:

1. examples/remote_client given a node that is down, a follower and the leader, in that order:
   it skips the dead node, subscribes on the follower, follows `not_leader` to the leader for
   its writes and reads, and receives the events of its writes on the follower.
2. A fourth node started with --join becomes a voter (`ooo-storage member add`), catches up
   with everything written before, and takes over leadership (`ooo-storage transfer`).
3. The first node is removed (`member remove`) and stopped; the group of the other three
   serves on.

    membership.py OOO_STORAGED OOO_STORAGE REMOTE_CLIENT"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from group_harness import (Failure, Group, GroupNode, check, free_ports, log,  # noqa: E402
                           script)


def wait_for(what, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise Failure(f"{what} within {timeout}s")


def members(group, nodes):
    code, out, err = group.cli("member", "list", nodes=nodes, timeout=5)
    check(code == 0, f"member list failed: {err}")
    return [json.loads(line) for line in out.splitlines()]


def main(daemon, cli, example):
    group = Group(daemon, cli)
    ok = False
    try:
        group.start()
        leader = group.leader()
        follower = next(n for n in group.nodes if n is not leader)
        for i in range(50):
            code, _, err = group.cli("set", f"before/{i}", str(i))
            check(code == 0, f"set before/{i}: {err}")

        log("1. remote_client: a dead node, a follower, the leader")
        dead = f"127.0.0.1:{free_ports(1)[0]}"
        nodes = f"{dead},{follower.address},{leader.address}"
        r = subprocess.run([example, nodes], capture_output=True, text=True, timeout=120)
        print(r.stdout + r.stderr, end="", flush=True)
        check(r.returncode == 0, f"remote_client exited {r.returncode}")
        check(f"connected to {follower.address}" in r.stdout, "it did not skip the dead node")
        check(f"following the leader to {leader.address}" in r.stdout,
              "it did not follow not_leader to the leader")
        check("ok: received 3 events of our own writes" in r.stdout, "events missing")

        log("2. a fourth node joins, catches up and takes over")
        port, raft_port = free_ports(2)
        fourth = GroupNode(daemon, group.work, 4, port, raft_port, "", ("--stale-reads",))
        fourth.args = [a for a in fourth.args if a not in ("--peers", "")] + ["--join"]
        group.nodes.append(fourth)
        fourth.start()
        code, out, err = group.cli("member", "add", "4", fourth.raft, nodes=group.nodes[:3],
                                   timeout=60, budget=120)
        check(code == 0, f"member add failed: {err}")
        listed = members(group, group.nodes[:3])
        log(f"members: {listed}")
        check(sorted(m["id"] for m in listed if m["role"] == "voter") == [1, 2, 3, 4],
              f"node 4 is not a voter: {listed}")
        got = wait_for("node 4 did not catch up", lambda: (
            group.cli("get", "--raw", "before/49", nodes=[fourth], timeout=3)[1] == "49"))
        check(got, "node 4 lacks what was written before it joined")
        code, out, err = group.cli("transfer", "4", timeout=30, budget=120)
        log(f"transfer 4: exit {code}: {out or err}")
        check(code == 0 and out == "4", f"transfer to node 4 failed: {out} {err}")
        wait_for("node 4 did not serve as leader", lambda: (group.stats(fourth) or {}).get(
            "leader") == fourth.address)
        code, _, err = group.cli("set", "after/transfer", "x")
        check(code == 0, f"no write after the transfer: {err}")

        log("3. node 1 leaves")
        first = group.nodes[0]
        code, out, err = group.cli("member", "remove", "1", nodes=group.nodes[1:], timeout=30)
        check(code == 0, f"member remove 1 failed: {err}")
        first.stop()
        check(sorted(m["id"] for m in members(group, group.nodes[1:])) == [2, 3, 4],
              "node 1 is still a member")
        code, _, err = group.cli("set", "after/remove", "x", nodes=group.nodes[1:])
        check(code == 0, f"no write after node 1 left: {err}")
        revision = group.wait_converged(group.nodes[1:])
        log(f"nodes 2, 3, 4 at revision {revision}")
        ok = True
    finally:
        group.close(ok)


if __name__ == "__main__":
    script(main, __doc__, 3)
