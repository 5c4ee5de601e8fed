#!/usr/bin/env python3
"""Crash test (DESIGN.md guarantee 7): a writer pipelines sync-mode writes to a node and logs
each answered one; the node is killed with SIGKILL at a random moment; after a restart every
answered write is present with its exact data and nothing unanswered is half-present.

usage: crash_test.py NODE_BINARY WRITER_BINARY [ROUNDS]

CRASH_DURABILITY=memory shows that the check can fail (every answered write is lost).
SIGKILL is a process crash: the OS keeps what was written to the WAL, so this test cannot
tell `sync` from `async`; only a power loss could.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

node_bin, writer_bin = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
deadline = time.monotonic() + 300
started = []


def start_node(data_dir):
    proc = subprocess.Popen(
        [node_bin, "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
         "--durability", os.environ.get("CRASH_DURABILITY", "sync")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    started.append(proc)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        raise SystemExit(f"node did not start: {line!r} (exit {proc.poll()})")
    return proc, int(line.rsplit(":", 1)[1])


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    work = tempfile.mkdtemp(prefix="ooo-crash-")
    data_dir = os.path.join(work, "data")
    log_path = os.path.join(work, "answered.log")
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time_ns())))
    total = 0
    try:
        for r in range(rounds):
            if time.monotonic() > deadline:
                raise SystemExit("crash test ran out of time")
            node, port = start_node(data_dir)
            with open(log_path, "a") as log:
                writer = subprocess.Popen([writer_bin, "write", "127.0.0.1", str(port), str(r)],
                                          stdout=log, stderr=subprocess.DEVNULL)
                started.append(writer)
                time.sleep(rng.uniform(0.05, 0.6))
                os.kill(node.pid, signal.SIGKILL)
                node.wait()
                # Every answer the writer got is logged (flushed) by now: nothing more comes.
                writer.kill()
                writer.wait()
            node, port = start_node(data_dir)
            check = subprocess.run([writer_bin, "verify", "127.0.0.1", str(port), log_path],
                                   capture_output=True, text=True, timeout=60)
            stop(node)
            if node.returncode != 0:
                raise SystemExit(f"round {r}: node did not stop cleanly ({node.returncode})")
            if check.returncode != 0:
                sys.stderr.write(check.stderr)
                raise SystemExit(f"round {r}: verification failed")
            total = sum(1 for _ in open(log_path))
            print(f"round {r}: {check.stdout.strip()}")
        if total == 0:
            raise SystemExit("no write was ever answered: the test proved nothing")
        print(f"{rounds} rounds, {total} answered writes, all present after SIGKILL")
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)


main()
