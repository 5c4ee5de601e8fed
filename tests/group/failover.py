"""A 3-node group under failures, with clients writing through every node all along:
kill -9 of the leader, then of a follower, then both restart. Then, from every node's state and
retained history and from what the clients recorded (ooo-group-client):

- every acknowledged write is in the history with the revision it was acknowledged with;
- every change in the history was asked for by a client (no phantom, none applied twice);
- no two nodes disagree: the same history (revision, key, op, value, unit) and the same state,
  which is what the history leads to;
- every watcher saw exactly that history, in order, without gap or repeat, across its
  resumptions on surviving nodes (at least one watcher had to resume);
- a new leader served a write within a bound after the leader died (measured and printed; the
  bound is generous: the machine is shared);
- a restarted node caught up from a snapshot (the log keeps few entries here) while its store
  ran, and still agrees with the others.

    failover.py OOO_STORAGED OOO_STORAGE OOO_GROUP_CLIENT"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from group_harness import Failure, Group, check, log, script  # noqa: E402

# How long a write may take to go through after the leader died: libraft elects within one or
# two election timeouts (1-2 s each); the rest is a loaded machine's slack.
FAILOVER_BOUND = 30
PHASE = 3  # seconds of client load between failures


def probe_write(group, nodes, key):
    """Seconds until `set KEY` through `nodes` is acknowledged."""
    began = time.monotonic()
    while time.monotonic() - began < FAILOVER_BOUND * 2:
        code, out, err = group.cli("set", key, "probe", nodes=nodes, timeout=5, budget=30)
        if code == 0:
            return time.monotonic() - began
        time.sleep(0.2)
    raise Failure(f"no write through {[n.id for n in nodes]} for {FAILOVER_BOUND * 2}s")


def load_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def comparable(ev):
    """An event as every node must have it (a replayed delete carries no value)."""
    return (ev["revision"], ev["op"], ev["key"], ev["value"] if ev["op"] == "set" else None,
            ev["unit"])


def check_history(reference, writes):
    revisions = [e["revision"] for e in reference]
    check(revisions == sorted(set(revisions)), "history revisions are not strictly increasing")
    by_revision = {e["revision"]: e for e in reference}
    requests = {(w["writer"], w["seq"]): w for w in writes}
    acked = 0
    for w in writes:
        if w["outcome"] != "ok":
            continue
        acked += 1
        if w["op"] == "set":
            e = by_revision.get(w["revision"])
            check(e is not None and e["op"] == "set" and e["key"] == w["key"]
                  and e["value"] == w["value"],
                  f"acknowledged write lost or altered: {w}, history has {e}")
        elif w["op"] == "del":
            e = by_revision.get(w["revision"])
            check(e is not None and e["op"] == "del" and e["key"] == w["key"],
                  f"acknowledged delete lost: {w}, history has {e}")
        elif w["count"] > 0:
            unit = [e for e in reference if e["unit"] == w["revision"]]
            prefix = w["key"][:-1]
            check(len(unit) == w["count"] and all(e["op"] == "del" and e["key"].startswith(prefix)
                                                  for e in unit),
                  f"acknowledged glob delete {w} is not one unit of {w['count']} deletes: {unit}")
    seen_values = set()
    for e in reference:
        if e["key"] == "f/end/0":
            continue
        m = re.match(r"^f/w(\d+)/k\d+$", e["key"])
        check(m, f"a change of a key no client wrote: {e}")
        writer = int(m.group(1))
        if e["op"] == "set":
            vm = re.match(r"^w(\d+)-(\d+)$", e["value"] or "")
            check(vm and int(vm.group(1)) == writer, f"a value no client wrote: {e}")
            check(e["value"] not in seen_values, f"a write applied twice: {e}")
            seen_values.add(e["value"])
            w = requests.get((writer, int(vm.group(2))))
            check(w is not None and w["op"] == "set" and w["key"] == e["key"]
                  and w["outcome"] != "refused", f"no request for {e}: {w}")
            check(w["outcome"] == "unknown" or w["revision"] == e["revision"],
                  f"{e} was acknowledged with revision {w['revision']}")
        else:
            candidates = [w for w in writes if w["writer"] == writer and w["outcome"] != "refused"
                          and ((w["op"] == "del" and w["key"] == e["key"])
                               or (w["op"] == "glob" and e["key"].startswith(w["key"][:-1])))]
            check(candidates, f"no delete request for {e}")
    return acked


def expected_state(reference):
    state = {}
    for e in reference:
        if e["op"] == "set":
            state[e["key"]] = (e["revision"], e["value"])
        else:
            state.pop(e["key"], None)
    return state


def node_state(group, node):
    code, out, err = group.cli("list", "f/*/*", nodes=[node], timeout=10, budget=60)
    check(code == 0, f"list on node {node.id} exited {code}: {err}")
    return {o["path"]: (o["revision"], o["data"] if isinstance(o["data"], str)
                        else json.dumps(o["data"])) for o in json.loads(out)}


def main(daemon, cli, client):
    # Small snapshot settings: the restarted nodes lag by more than the log keeps, so they
    # catch up from a snapshot (a RocksDB checkpoint) while their store runs.
    group = Group(daemon, cli, extra=("--stale-reads", "--snapshot-threshold", "64",
                                      "--snapshot-trailing", "16"))
    ok = False
    clients = None
    try:
        group.start()
        leader = group.leader()
        log(f"leader: node {leader.id}")
        out_dir = os.path.join(group.work, "clients")
        os.makedirs(out_dir)
        clients = subprocess.Popen([client, "--nodes", group.addresses(), "--out", out_dir,
                                    "--writers", "4", "--watchers", "3", "--drain", "90"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        group.helpers.append(clients)
        check(clients.stdout.readline().strip() == "running", "the clients did not start")
        time.sleep(PHASE)

        log(f"kill -9 of the leader, node {leader.id}")
        leader.kill()
        survivors = [n for n in group.nodes if n is not leader]
        took = probe_write(group, survivors, "probe/1")
        log(f"a write went through {took:.1f}s after the leader died")
        check(took < FAILOVER_BOUND, f"no new leader served a write within {FAILOVER_BOUND}s")
        time.sleep(PHASE)

        follower = next(n for n in survivors if n is not group.leader(survivors))
        log(f"kill -9 of a follower, node {follower.id}: one node left, no majority")
        follower.kill()
        time.sleep(PHASE)

        log(f"restart of node {follower.id}")
        follower.start()
        took = probe_write(group, survivors, "probe/2")
        log(f"writes go through again {took:.1f}s after the restart")
        time.sleep(PHASE)

        log(f"restart of node {leader.id}")
        leader.start()
        time.sleep(PHASE)

        log("stopping the clients")
        clients.stdin.write("stop\n")
        clients.stdin.flush()
        code = clients.wait(timeout=180)
        summary = json.load(open(os.path.join(out_dir, "summary.json")))
        log(f"clients exited {code}: {summary}")
        check(code == 0, f"the clients did not finish cleanly: {summary}")
        sentinel = summary["sentinel"]

        revision = group.wait_converged(group.nodes)
        log(f"all nodes at revision {revision}")
        histories = []
        for n in group.nodes:
            path = os.path.join(out_dir, f"history-{n.id}.jsonl")
            r = subprocess.run([client, "--dump", "--nodes", n.address, "--out", path,
                                "--until", str(sentinel)], timeout=120)
            check(r.returncode == 0, f"node {n.id}'s history does not reach {sentinel}")
            histories.append([comparable(e) for e in load_lines(path)])
        reference_events = load_lines(os.path.join(out_dir, f"history-{group.nodes[0].id}.jsonl"))
        for n, h in zip(group.nodes[1:], histories[1:]):
            check(h == histories[0], f"node {n.id}'s history differs from node "
                                     f"{group.nodes[0].id}'s ({len(h)} vs {len(histories[0])})")
        writes = load_lines(os.path.join(out_dir, "writes.jsonl"))
        acked = check_history(reference_events, writes)
        unknown = sum(1 for w in writes if w["outcome"] == "unknown")
        log(f"{len(writes)} requests, {acked} acknowledged, {unknown} with unknown outcome, "
            f"history of {len(reference_events)} changes: consistent on every node")

        expected = expected_state(reference_events)
        for n in group.nodes:
            st = node_state(group, n)
            check(st == expected, f"node {n.id}'s state is not what the history leads to: "
                                  f"{len(st)} keys vs {len(expected)}")

        resumed = 0
        for i in range(3):
            lines = load_lines(os.path.join(out_dir, f"watcher-{i}.jsonl"))
            events = [comparable(e) for e in lines if "revision" in e]
            markers = [e for e in lines if "subscribed" in e]
            resumed += len(markers) - 1
            check(not any("lagged" in e for e in lines), f"watcher {i} lagged")
            check(events == histories[0][:len(events)] and len(events) == len(histories[0]),
                  f"watcher {i} saw {len(events)} events that are not the history of "
                  f"{len(histories[0])} (subscriptions: {markers})")
        log(f"every watcher saw the whole history in order; {resumed} resumption(s) elsewhere")
        check(resumed >= 1, "no watcher had to resume on another node")
        restored = [n.id for n in group.nodes if "restored a snapshot" in n.log_tail(10**6)]
        log(f"caught up from a snapshot while running: node(s) {restored}")
        check(restored, "no restarted node caught up from a snapshot")
        ok = True
    finally:
        if clients and clients.poll() is None:
            clients.kill()
        group.close(ok)


if __name__ == "__main__":
    script(main, __doc__, 3)
