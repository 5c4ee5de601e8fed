// Section 7: memory per key. The store holding N keys `users/<i>` with S-byte values, in memory
// mode (default options, and with `history_events = 0`), after a restart from RocksDB, and as an
// `ooo-storaged` node loaded from that directory, against a redis-server holding the same keys
// and values, all in the same run. Each store figure comes from a fresh process
// (`ooo-memory-probe`), so nothing the bench did before is counted.

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/bench.hpp"
#include "bench/child_process.hpp"
#include "bench/load.hpp"
#include "bench/process_memory.hpp"
#include "bench/redis_server.hpp"
#include "bench/temp_dir.hpp"

namespace ooo::storage::bench {

namespace {

namespace fs = std::filesystem;

/// Growth of a process's memory over its baseline, per key.
struct growth {
  double rss = 0;
  /// malloc's bytes in use (the probe) or Redis's `used_memory`: what the data costs before
  /// the allocator's own overhead; 0 where unknown (the node).
  double heap = 0;
  double seconds = 0;
};

std::string count_label(size_t n) {
  if (n >= 1000000 && n % 1000000 == 0)
    return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0)
    return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

std::string mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

/// `a=1 b=2` -> {a: 1, b: 2}.
std::map<std::string, double> fields_of(const std::string& line) {
  std::map<std::string, double> result;
  std::istringstream in{line};
  std::string item;
  while (in >> item) {
    auto eq = item.find('=');
    if (eq != std::string::npos)
      result[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
  }
  return result;
}

/// Runs `ooo-memory-probe ARGS` to its end; returns its `memory ...` line's fields (or the
/// empty map for `write`).
std::map<std::string, double> run_probe(const std::string& probe, const std::string& work,
                                        std::vector<std::string> args) {
  args.insert(args.begin(), probe);
  auto mode = args[1];
  child_process child{args, work + "/probe-" + mode + ".log", true};
  auto line = child.wait_for_line(mode == "write" ? "written " : "memory ",
                                  std::chrono::seconds{1200});
  auto rc = child.wait_exit(std::chrono::seconds{120});
  if (rc != 0)
    throw std::runtime_error("ooo-memory-probe " + mode + " exited with " + std::to_string(rc)
                             + "; its log:\n" + child.log_tail());
  return fields_of(line);
}

growth probe_growth(const std::map<std::string, double>& f, size_t keys) {
  auto n = static_cast<double>(keys);
  if (f.at("keys") != n)
    throw std::runtime_error("ooo-memory-probe measured another key count");
  return {(f.at("rss_after") - f.at("rss_before")) / n,
          (f.at("heap_after") - f.at("heap_before")) / n, f.at("seconds")};
}

/// The RSS of an `ooo-storaged` started on `data_dir` (async), once it listens.
double node_rss(const std::string& node, const std::string& data_dir, const std::string& log) {
  child_process child{{node, "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                       "--durability", "async"},
                      log, true};
  child.wait_for_line("listening on ", std::chrono::seconds{600});
  auto rss = static_cast<double>(rss_bytes(child.pid()));
  auto rc = child.stop();
  if (rc != 0)
    throw std::runtime_error("ooo-storaged on " + data_dir + " exited with " + std::to_string(rc)
                             + "; its log:\n" + child.log_tail());
  return rss;
}

struct redis_figures {
  growth set;       // pipelined SETs of users/<i>
  growth populate;  // DEBUG POPULATE N users S
  std::string version;
};

redis_figures measure_redis(const std::string& program, const std::string& work, size_t keys,
                            const std::vector<std::string>& key_names, const bytes& value) {
  redis_figures result;
  auto n = static_cast<double>(keys);
  auto measure = [&](auto fill) {
    redis_server server{program, work};
    redis_connection conn{server.port()};
    result.version = server.version();
    auto rss0 = static_cast<double>(rss_bytes(server.pid()));
    auto used0 = static_cast<double>(conn.info_memory("used_memory"));
    auto t0 = clock_type::now();
    fill(conn);
    auto seconds = seconds_since(t0);
    auto count = std::stoull(conn.command({"DBSIZE"}));
    if (count != keys)
      throw std::runtime_error("redis holds " + std::to_string(count) + " keys, not "
                               + std::to_string(keys));
    growth g{(static_cast<double>(rss_bytes(server.pid())) - rss0) / n,
             (static_cast<double>(conn.info_memory("used_memory")) - used0) / n, seconds};
    server.stop();
    return g;
  };
  result.set = measure([&](redis_connection& conn) { redis_fill(conn, key_names, value); });
  result.populate = measure([&](redis_connection& conn) {
    conn.command({"DEBUG", "POPULATE", std::to_string(keys), "users",
                  std::to_string(value.size())});
  });
  return result;
}

std::string per_key(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f B/key", x);
  return buf;
}

} // namespace

void run_memory(const settings& s, table& t) {
  temp_dir work{s.tmp};
  auto probe = s.probe_binary.empty() ? own_directory() + "/ooo-memory-probe" : s.probe_binary;
  if (find_program(probe).empty())
    throw std::runtime_error("section 7 needs ooo-memory-probe: " + probe
                             + " not found (--probe-binary)");
  auto node = s.node_binary.empty() ? own_directory() + "/../apps/ooo-storaged" : s.node_binary;
  auto node_found = !find_program(node).empty();
  auto redis = find_program(s.redis_server);
  std::optional<double> empty_node;
  if (node_found) {
    progress("section 7: an empty ooo-storaged (the node rows' baseline)");
    empty_node = node_rss(node, work.sub("empty-node"), work.sub("empty-node.log"));
  }
  for (auto keys : s.memory_counts) {
    auto key_names = make_keys("users/", keys);
    for (auto size : s.memory_value_sizes) {
      auto label = count_label(keys) + " keys, " + std::to_string(size) + " B values";
      auto value = make_value(size);
      auto n = std::to_string(keys);
      auto vs = std::to_string(size);
      std::optional<redis_figures> r;
      if (!redis.empty()) {
        progress("section 7: " + label + ": redis-server (SET, then DEBUG POPULATE)");
        r = measure_redis(redis, work.path(), keys, *key_names, *value);
      }
      progress("section 7: " + label + ": memory mode");
      auto mem = probe_growth(run_probe(probe, work.path(), {"fill", "--keys", n,
                                                             "--value-size", vs, "--shards",
                                                             std::to_string(s.shards)}),
                              keys);
      progress("section 7: " + label + ": memory mode, history_events = 0");
      auto mem0 = probe_growth(run_probe(probe, work.path(),
                                         {"fill", "--keys", n, "--value-size", vs, "--shards",
                                          std::to_string(s.shards), "--history-events", "0"}),
                               keys);
      auto dir = work.sub("rocksdb-" + n + "-" + vs);
      progress("section 7: " + label + ": writing RocksDB");
      run_probe(probe, work.path(), {"write", "--keys", n, "--value-size", vs, "--shards",
                                     std::to_string(s.shards), "--dir", dir});
      progress("section 7: " + label + ": restart from RocksDB");
      auto restart = probe_growth(run_probe(probe, work.path(), {"load", "--keys", n, "--shards",
                                                                 std::to_string(s.shards),
                                                                 "--dir", dir}),
                                  keys);
      std::optional<double> node_per_key;
      double node_total = 0;
      if (node_found) {
        progress("section 7: " + label + ": ooo-storaged loading RocksDB");
        node_total = node_rss(node, dir, work.sub("node.log"));
        node_per_key = (node_total - *empty_node) / static_cast<double>(keys);
      }
      std::error_code ec;
      fs::remove_all(dir, ec);

      // The rows: RSS growth per key, against Redis's RSS growth per key for the same SETs.
      double key_bytes = 0;
      for (auto& k : *key_names)
        key_bytes += static_cast<double>(k.size());
      char data_note[96];
      std::snprintf(data_note, sizeof(data_note), "key + value %.0f B", key_bytes / keys + size);
      auto baseline = r ? r->set.rss : 0.0;
      auto baseline_name = r ? "Redis " + r->version + ", same SETs, RSS growth"
                             : "Redis (not run: " + s.redis_server + " not found)";
      auto aim = keys == 1000000 && size == 64 ? std::string{"<= 1.5x"} : std::string{};
      auto redis_note = r ? "; Redis used_memory " + per_key(r->set.heap)
                              + ", DEBUG POPULATE RSS " + per_key(r->populate.rss)
                              + " (used_memory " + per_key(r->populate.heap) + ")"
                          : std::string{};
      auto store_note = [&](const growth& g) {
        return "malloc in use " + per_key(g.heap) + "; " + data_note + redis_note;
      };
      t.add(row{"7", "bytes/key, " + label + ", memory mode", mem.rss, "B/key", baseline_name,
                baseline, aim, !aim.empty() && r && mem.rss <= 1.5 * baseline,
                store_note(mem)});
      t.add(row{"7", "bytes/key, " + label + ", memory mode, history_events = 0", mem0.rss,
                "B/key", baseline_name, baseline, "", false, store_note(mem0)});
      t.add(row{"7", "bytes/key, " + label + ", after restart from RocksDB", restart.rss, "B/key",
                baseline_name, baseline, "", false,
                store_note(restart) + "; load " + format_value(restart.seconds * 1e3, "ms")});
      if (node_per_key)
        t.add(row{"7", "bytes/key, " + label + ", ooo-storaged loaded from RocksDB",
                  *node_per_key, "B/key", baseline_name, baseline, "", false,
                  "node RSS " + mib(node_total) + " over an empty node's " + mib(*empty_node)});
      else
        t.add(row{"7", "bytes/key, " + label + ", ooo-storaged loaded from RocksDB", 0, "B/key",
                  baseline_name, baseline, "", false, node + " not found (--node-binary)",
                  false});
    }
  }
}

} // namespace ooo::storage::bench
