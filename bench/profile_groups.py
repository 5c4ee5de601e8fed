#!/usr/bin/env python3
"""Groups a flat perf profile by where the CPU goes, as a Markdown table.

    perf report -i FILE --no-children --sort dso,sym --stdio -t ';' | bench/profile_groups.py TITLE

Reads `overhead;dso;symbol` lines, puts each symbol into the first group whose rule matches
(CAF message passing, scheduler, allocation, the store's own work, kernel, ...), and prints
one table of the groups with their share of the samples and their three biggest symbols,
then the 15 biggest symbols. perf's own sorting and symbol resolution are used as they are;
this only classifies.
"""
import re
import sys

KERNEL = "[kernel.kallsyms]"

# (group, dso rule or None, symbol rule or None): first match wins, so order matters.
RULES = [
    ("allocation (malloc, free, new, delete)", None,
     r"^(malloc|free|cfree|calloc|realloc|_int_malloc|_int_free|_int_realloc|malloc_consolidate|"
     r"unlink_chunk|tcache|__libc_malloc|__libc_free|operator new|operator delete|"
     r"aligned_alloc|posix_memalign|_mid_memalign|arena_get)"),
    ("memory copies and compares (memcpy, memmove, memcmp)", None,
     r"^(__)?mem(cpy|move|cmp|set)|^__memmove|^__memcpy|^__memcmp|^__memset"),
    ("kernel: scheduling, wake-ups, futexes, timers", re.escape(KERNEL),
     r"schedule|switch|futex|wake|sched|enqueue_task|dequeue_task|pick_next|update_curr|"
     r"load_balance|idle|hrtimer|nanosleep|select_task|ttwu|psi_|cpuacct|tick|irq|raw_spin|"
     r"rcu|finish_task|update_rq|update_load|cgroup|native_queued_spin"),
    ("kernel: network (loopback TCP, epoll)", re.escape(KERNEL),
     r"tcp|skb|sock|net_|napi|__dev|loopback|inet|epoll|(^|[^a-z])(ip|sk|ep)_|__x64_sys_(send|recv|read|write)|sys_(recv|send)|"
     r"copy_user|_copy_to_iter|_copy_from_iter|copyout|copyin"),
    ("kernel: page faults, syscall entry, other", re.escape(KERNEL), None),
    ("time (clock_gettime)", r"\[vdso\]", None),
    ("time (clock_gettime)", None, r"clock_gettime"),
    ("CAF network layer (BASP broker, serialization)", r"libcaf_io", None),
    ("CAF network layer (BASP broker, serialization)", None,
     r"caf::io::|basp|serializer|deserializer|caf::detail::stringification_inspector"),
    ("CAF scheduler and thread sync (workers, job queues, wait/notify)", None,
     r"caf::scheduler::|work_stealing|caf::policy::|coordinator|resumable|double_ended_queue|"
     r"pthread_cond|condition_variable|pthread_mutex|__lll_lock|__lll_unlock|sched_yield|"
     r"__futex|futex_|nanosleep|pthread_spin"),
    ("the bench's own clients (load generator)", None,
     r"ooo::storage::bench|redis_compare|\(anonymous namespace\)::(issue|on_answer|client)\b"),
    ("the store's own work (shards, router, event log, key index, values)", None,
     r"ooo::storage::|^_ZN.*3ooo7storage"),
    ("CAF message passing and actor runtime (mailboxes, messages, requests, ref counts)", None,
     r"caf::|^_ZN3caf"),
    ("CAF message passing and actor runtime (mailboxes, messages, requests, ref counts)",
     r"libcaf_core", None),
    ("C++ standard library (hashing, strings, containers)", r"libstdc\+\+", None),
    ("C++ standard library (hashing, strings, containers)", None, r"^std::"),
    ("libc, other", r"libc\.so", None),
]


STRING = "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"


def container(symbol, plain):
    """`unordered_map<K, V>::find` for libstdc++'s hash tables (which table is the question)."""
    s = symbol.replace(STRING, "std::string")
    m = re.match(r"std::(?:_Hashtable|__detail::_Map_base)<.*?std::pair<(.+?) const, (.+?)>", s)
    if not m:
        return None
    key, value = (x.replace("ooo::storage::", "") for x in m.groups())
    return f"unordered_map<{key}, {value}>::{plain.rsplit('::', 1)[-1]}"


def short(symbol, width=70):
    """The symbol without template arguments and argument lists, cut to `width` (hash tables
    keep their key and value types)."""
    plain = strip_templates(symbol)
    named = container(symbol, plain)
    s = named or plain
    return s if len(s) <= width else s[: width - 1] + "…"


def strip_templates(symbol):
    out, depth = [], 0
    for ch in symbol.replace("(anonymous namespace)", "{anon}"):
        if ch == "<":
            depth += 1
            if depth == 1:
                out.append("<…>")
            continue
        if ch == ">" and depth > 0:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return re.sub(r"\(.*\)", "()", "".join(out)).strip()


def group_of(dso, sym):
    for name, dso_rule, sym_rule in RULES:
        if dso_rule and not re.search(dso_rule, dso):
            continue
        if sym_rule and not re.search(sym_rule, sym):
            continue
        return name
    return "other"


def main():
    title = sys.argv[1] if len(sys.argv) > 1 else "profile"
    rows = []
    for line in sys.stdin:
        if line.startswith("#") or ";" not in line:
            continue
        parts = [p.strip() for p in line.split(";", 2)]
        if len(parts) < 3 or not parts[0].endswith("%"):
            continue
        pct = float(parts[0].rstrip("%"))
        sym = re.sub(r"^\[[.k]\]\s*", "", parts[2])
        rows.append((pct, parts[1], sym))
    if not rows:
        sys.exit("profile_groups.py: no `overhead;dso;symbol` lines on stdin")
    groups = {}
    for pct, dso, sym in rows:
        g = groups.setdefault(group_of(dso, sym), [0.0, []])
        g[0] += pct
        g[1].append((pct, sym))
    total = sum(p for p, _, _ in rows)
    print(f"**{title}** ({total:.0f}% of samples classified)\n")
    print("| where the CPU goes | share | biggest symbols |")
    print("|---|---:|---|")
    for name, (pct, syms) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        top = ", ".join(f"`{short(s, 64)}` {p:.1f}%" for p, s in sorted(syms, reverse=True)[:3])
        print(f"| {name} | {pct:.1f}% | {top} |")
    print("\n| top symbols | share | library |")
    print("|---|---:|---|")
    for pct, dso, sym in sorted(rows, reverse=True)[:15]:
        print(f"| `{short(sym)}` | {pct:.1f}% | {dso} |")


if __name__ == "__main__":
    main()
