"""Batches on a replicated group. A batch (`batch_atom`, what `ooo-storage import` sends) is
one message per shard on the leader and one commit per shard, replicated like any write:

1. `import` of 300 keys in batches of 64, given the followers first (the CLI follows
   `not_leader` to the leader), answers with every key written;
2. every node (stale reads: its own state) holds the same 300 values, at the same revision.

    batches.py OOO_STORAGED OOO_STORAGE"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from group_harness import Group, check, log, script  # noqa: E402

KEYS = 300


def main(daemon, cli):
    group = Group(daemon, cli, extra=("--stale-reads",))
    ok = False
    try:
        group.start()
        leader = group.leader()
        lines = os.path.join(group.work, "lines.json")
        with open(lines, "w") as f:
            for i in range(KEYS):
                f.write(json.dumps({"key": f"b/{i}", "data": {"n": i}}) + "\n")
        followers_first = [n for n in group.nodes if n is not leader] + [leader]
        code, out, err = group.cli("import", lines, "--batch", "64", nodes=followers_first,
                                   budget=120)
        check(code == 0 and json.loads(out) == {"failed": 0, "imported": KEYS},
              f"import through the group: exit {code}: {out} {err}")
        revision = group.wait_converged(group.nodes)
        want = {f"b/{i}": {"n": i} for i in range(KEYS)}
        for n in group.nodes:
            code, out, err = group.cli("list", "b/*", nodes=[n])
            check(code == 0, f"list on node {n.id}: exit {code}: {err}")
            got = {o["path"]: o["data"] for o in json.loads(out)}
            check(got == want, f"node {n.id} holds {len(got)} values, not the {KEYS} imported")
        log(f"every node holds the {KEYS} imported values at revision {revision}")
        ok = True
    finally:
        group.close(ok)


if __name__ == "__main__":
    script(main, __doc__, 2)
