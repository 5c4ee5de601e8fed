#!/usr/bin/env python3
"""Crash test (DESIGN.md guarantee 7): a writer pipelines sync-mode writes to a node and logs
each answered one; the node is killed with SIGKILL at a random moment; after a restart every
answered write is present with its exact data and nothing unanswered is half-present.

usage: crash_test.py NODE_BINARY WRITER_BINARY [ROUNDS] [--tls MAKE_CERTS_SH]

--tls: make a CA with deploy/make-certs.sh and run node and writer over mutual TLS.
CRASH_DURABILITY=memory shows that the check can fail (every answered write is lost).
At the end it prints the node's CPU use while the writer was writing (user + system time over
wall time; CAF 0.17's TLS can busy-spin, which shows here as ~100% of a core).
SIGKILL is a process crash: the OS keeps what was written to the WAL, so this test cannot
tell `sync` from `async`; only a power loss could.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("node_bin")
parser.add_argument("writer_bin")
parser.add_argument("rounds", nargs="?", type=int, default=20)
parser.add_argument("--tls", metavar="MAKE_CERTS_SH")
args = parser.parse_args()
node_bin, writer_bin, rounds = args.node_bin, args.writer_bin, args.rounds
deadline = time.monotonic() + 300
started = []
node_tls = []
writer_tls = []


def cpu_seconds(pid):
    """User + system CPU seconds the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_node(data_dir):
    proc = subprocess.Popen(
        [node_bin, "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
         "--durability", os.environ.get("CRASH_DURABILITY", "sync"), *node_tls],
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
    cpu = wall = 0.0
    if args.tls:
        certs = os.path.join(work, "certs")
        subprocess.run(["bash", args.tls, certs], check=True, capture_output=True, timeout=60)
        node_tls.extend(["--tls-cert", f"{certs}/node.pem", "--tls-key", f"{certs}/node.key",
                         "--tls-ca", f"{certs}/ca.pem"])
        writer_tls.extend(["--tls-cert", f"{certs}/client.pem", "--tls-key",
                           f"{certs}/client.key", "--tls-ca", f"{certs}/ca.pem"])
    try:
        for r in range(rounds):
            if time.monotonic() > deadline:
                raise SystemExit("crash test ran out of time")
            node, port = start_node(data_dir)
            with open(log_path, "a") as log:
                cpu0, wall0 = cpu_seconds(node.pid), time.monotonic()
                writer = subprocess.Popen([writer_bin, "write", "127.0.0.1", str(port), str(r),
                                           *writer_tls],
                                          stdout=log, stderr=subprocess.DEVNULL)
                started.append(writer)
                time.sleep(rng.uniform(0.05, 0.6))
                cpu += cpu_seconds(node.pid) - cpu0
                wall += time.monotonic() - wall0
                os.kill(node.pid, signal.SIGKILL)
                node.wait()
                # Every answer the writer got is logged (flushed) by now: nothing more comes.
                writer.kill()
                writer.wait()
            node, port = start_node(data_dir)
            check = subprocess.run([writer_bin, "verify", "127.0.0.1", str(port), log_path,
                                    *writer_tls],
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
        print(f"{rounds} rounds{' over TLS' if args.tls else ''}, {total} answered writes, "
              f"all present after SIGKILL")
        print(f"node CPU while writing: {cpu:.2f} s in {wall:.2f} s ({100 * cpu / wall:.0f}% of "
              f"one core), {total / wall:.0f} answered writes/s")
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)


main()
