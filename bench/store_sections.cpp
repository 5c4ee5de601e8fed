// Sections 1-3: the memory-mode store through its actors and through the blocking facade.

#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

#include "caf/actor_system.hpp"

#include "actors/layered.hpp"
#include "bench/bench.hpp"
#include "bench/load.hpp"
#include "messages/errc.hpp"

namespace ooo::storage::bench {

namespace {

std::string count_name(size_t n) {
  if (n >= 1000000 && n % 1000000 == 0)
    return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0)
    return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

void check(const load_result& r, const std::string& what) {
  if (r.errors != 0)
    throw std::runtime_error(what + ": " + std::to_string(r.errors) + " requests failed");
}

// -- the locked-map baseline -------------------------------------------------------------------

struct map_rates {
  double insert = 0;
  double lookup = 0;
};

/// One thread inserting every key into, then looking every key up in, a
/// `std::unordered_map<std::string, std::string>` under a `std::mutex` (one lock per
/// operation). A lookup copies the value out, as a `get` answer does.
map_rates locked_map(const std::vector<std::string>& keys, const bytes& value) {
  std::unordered_map<std::string, std::string> map;
  std::mutex mtx;
  std::string v(value.begin(), value.end());
  map_rates result;
  auto t0 = clock_type::now();
  for (auto& key : keys) {
    std::lock_guard<std::mutex> guard{mtx};
    map[key] = v;
  }
  result.insert = static_cast<double>(keys.size()) / seconds_since(t0);
  size_t sink = 0;
  t0 = clock_type::now();
  for (auto& key : keys) {
    std::string copy;
    {
      std::lock_guard<std::mutex> guard{mtx};
      auto i = map.find(key);
      if (i != map.end())
        copy = i->second;
    }
    sink += copy.size();
  }
  result.lookup = static_cast<double>(keys.size()) / seconds_since(t0);
  if (sink != keys.size() * v.size())
    throw std::logic_error("locked map lost keys");
  return result;
}

/// The best of three runs (the machine is shared: the best run is the least disturbed one).
map_rates locked_map_best(const std::vector<std::string>& keys, const bytes& value) {
  map_rates best;
  for (int i = 0; i < 3; ++i) {
    auto r = locked_map(keys, value);
    best.insert = std::max(best.insert, r.insert);
    best.lookup = std::max(best.lookup, r.lookup);
  }
  return best;
}

std::string cpu_note(const load_result& r, double baseline_rate) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "CPU %.1f us/op (map %.2f)", r.cpu_us_per_op(),
                baseline_rate > 0 ? 1e6 / baseline_rate : 0.0);
  return buf;
}

// -- the thread ping-pong baseline -------------------------------------------------------------

/// Round trips between this thread and another over a mutex and a condition variable: the
/// least any blocking request/response between two threads costs.
std::vector<double> ping_pong(size_t rounds) {
  std::mutex mtx;
  std::condition_variable cv;
  int turn = 0; // 0: idle, 1: ping sent, 2: pong sent, -1: stop
  std::thread peer{[&] {
    std::unique_lock<std::mutex> guard{mtx};
    for (;;) {
      cv.wait(guard, [&] { return turn == 1 || turn == -1; });
      if (turn == -1)
        return;
      turn = 2;
      cv.notify_all();
    }
  }};
  std::vector<double> samples;
  samples.reserve(rounds);
  for (size_t i = 0; i < rounds; ++i) {
    auto t0 = clock_type::now();
    std::unique_lock<std::mutex> guard{mtx};
    turn = 1;
    cv.notify_all();
    cv.wait(guard, [&] { return turn == 2; });
    turn = 0;
    guard.unlock();
    samples.push_back(micros_since(t0));
  }
  {
    std::lock_guard<std::mutex> guard{mtx};
    turn = -1;
  }
  cv.notify_all();
  peer.join();
  return samples;
}

layered_config memory_only() {
  layered_config cfg;
  cfg.mode = durability::memory;
  return cfg;
}

} // namespace

// -- section 1 ---------------------------------------------------------------------------------

/// The load `bench/profile.sh` records: pipelined sets on the first shard count, nothing else
/// (no baseline, one run), so that the profile shows the store and only the store. Ends the
/// process when done.
[[noreturn]] void run_pipelined_set_only(const settings& s) {
  auto value = make_value(s.value_size);
  auto keys = make_keys("bench/", s.ops);
  auto cfg = make_config(s.scheduler);
  caf::actor_system sys{*cfg};
  store_config sc;
  sc.opts.shards = s.shard_counts.front();
  auto store = start_store(sys, std::move(sc));
  auto r = drive(sys, store, keys, op_kind::set, value, s.clients, s.window);
  check(r, "pipelined set");
  std::printf("pipelined set, %zu shard(s), %zu requesters: %.1fk ops/s, CPU %.1f us/op\n",
              s.shard_counts.front(), s.clients * s.window, r.rate() / 1e3, r.cpu_us_per_op());
  std::fflush(stdout);
  // Leave now: freeing every key on the way out is no part of the load being profiled.
  std::_Exit(0);
}

/// Sets in batches of `batch` keys per message (`batch_atom`), `clients x window` batches in
/// flight: the same client shape as the pipelined rows, a batch where they send one set.
load_result batched_set(caf::actor_system& sys, const store_actor& store,
                        const std::shared_ptr<const std::vector<std::string>>& keys,
                        const std::shared_ptr<const bytes>& value, size_t clients,
                        size_t window, size_t batch) {
  return drive(sys, store, keys, op_kind::set, value, clients, window, false, batch);
}

void run_store_throughput(const settings& s, table& t) {
  if (s.pipelined_set_only) {
    run_pipelined_set_only(s);
    return;
  }
  auto value = make_value(s.value_size);
  auto concurrent = s.clients * s.window;
  auto pipelined_keys = make_keys("bench/", s.ops);
  auto sequential_keys = make_keys("bench/", std::max<size_t>(1, s.ops / 10));
  progress("section 1: locked-map baseline");
  auto map_pipelined = locked_map_best(*pipelined_keys, *value);
  auto map_sequential = locked_map_best(*sequential_keys, *value);
  auto cfg = make_config(s.scheduler);
  caf::actor_system sys{*cfg};
  for (auto shards : s.shard_counts) {
    for (auto requesters : {size_t{1}, concurrent}) {
      auto pipelined = requesters > 1;
      auto& keys = pipelined ? pipelined_keys : sequential_keys;
      auto& baseline = pipelined ? map_pipelined : map_sequential;
      auto label = std::to_string(shards) + " shard" + (shards > 1 ? "s" : "") + ", "
                   + std::to_string(requesters) + " requester" + (pipelined ? "s" : "");
      progress("section 1: " + label);
      auto clients = pipelined ? s.clients : 1;
      auto window = pipelined ? s.window : 1;
      load_result set;
      load_result get;
      for (size_t rep = 0; rep < s.reps; ++rep) {
        store_config sc;
        sc.opts.shards = shards;
        auto store = start_store(sys, std::move(sc));
        auto r = drive(sys, store, keys, op_kind::set, value, clients, window);
        check(r, "set " + label);
        if (r.rate() > set.rate())
          set = r;
        r = drive(sys, store, keys, op_kind::get, value, clients, window);
        check(r, "get " + label);
        if (r.rate() > get.rate())
          get = r;
        stop_store(sys, store);
      }
      auto note = count_name(keys->size()) + " new keys, " + cpu_note(set, baseline.insert);
      if (pipelined) {
        note += ", " + std::to_string(s.clients) + " clients x " + std::to_string(s.window);
        t.add(row{"1", "set, " + label, set.rate(), "ops/s", "locked map insert", baseline.insert,
                  ">= 0.4x", set.rate() >= 0.4 * baseline.insert, note});
      } else {
        t.add(row{"1", "set, " + label, set.rate(), "ops/s", "locked map insert", baseline.insert,
                  "", false, note});
      }
      t.add(row{"1", "get, " + label, get.rate(), "ops/s", "locked map lookup", baseline.lookup,
                "", false,
                count_name(keys->size()) + " keys, " + cpu_note(get, baseline.lookup)});
    }
  }
  // Sets in batches of 64 keys per message, on the default shard count.
  constexpr size_t batch = 64;
  auto label = "set in batches of " + std::to_string(batch) + ", "
               + std::to_string(concurrent) + " batches in flight";
  progress("section 1: " + label);
  store_config sc;
  sc.opts.shards = s.shards;
  auto store = start_store(sys, std::move(sc));
  auto batched = batched_set(sys, store, pipelined_keys, value, s.clients, s.window, batch);
  stop_store(sys, store);
  check(batched, label);
  t.add(row{"1", label, batched.rate(), "ops/s", "locked map insert", map_pipelined.insert,
            ">= 1x", batched.rate() >= map_pipelined.insert,
            count_name(pipelined_keys->size()) + " new keys, "
              + cpu_note(batched, map_pipelined.insert)});
}

// -- section 2 ---------------------------------------------------------------------------------

namespace {

/// Fills `facade` with 1000 keys, warms it up, then times `count` sequential gets (us each).
std::vector<double> sequential_gets(layered& facade, const std::string& data, size_t count) {
  constexpr size_t key_count = 1000;
  std::vector<std::string> keys;
  for (size_t i = 0; i < key_count; ++i) {
    keys.push_back("bench/" + std::to_string(i));
    if (auto ok = facade.set(keys.back(), data); !ok)
      throw std::runtime_error("facade set: " + render(ok.error()));
  }
  for (size_t i = 0; i < 200; ++i)
    static_cast<void>(facade.get(keys[i % key_count]));
  std::vector<double> samples;
  samples.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    auto t0 = clock_type::now();
    auto obj = facade.get(keys[i % key_count]);
    samples.push_back(micros_since(t0));
    if (!obj)
      throw std::runtime_error("facade get: " + render(obj.error()));
  }
  return samples;
}

/// The facade as it ships: `layered(layered_config)` with an actor system of its own and that
/// system's settings (no spinning), against the thread ping-pong measured right before.
void run_shipped_facade_latency(const settings& s, table& t, const std::string& data) {
  progress("section 2: thread ping-pong baseline");
  auto pp = ping_pong(s.facade_gets);
  auto pp50 = quantile(pp, 0.5);
  auto pp99 = quantile(pp, 0.99);
  progress("section 2: shipped defaults (the facade's own actor system)");
  std::vector<double> samples;
  {
    options opts;
    opts.shards = s.shards;
    layered facade{memory_only(), opts};
    if (auto ok = facade.start(); !ok)
      throw std::runtime_error("facade start: " + render(ok.error()));
    samples = sequential_gets(facade, data, s.facade_gets);
  }
  auto p50 = quantile(samples, 0.5);
  auto p99 = quantile(samples, 0.99);
  t.add(row{"2", "facade get p50, shipped defaults", p50, "us", "thread ping-pong p50", pp50,
            "<= 1.2x, no spinning", p50 <= 1.2 * pp50,
            std::to_string(samples.size())
              + " sequential gets; layered(layered_config): its own actor system"});
  t.add(row{"2", "facade get p99, shipped defaults", p99, "us", "thread ping-pong p99", pp99, "",
            false, ""});
}

} // namespace

void run_facade_latency(const settings& s, table& t) {
  auto value = make_value(s.value_size);
  std::string data(value->begin(), value->end());
  run_shipped_facade_latency(s, t, data);
  auto throughput_keys = make_keys("tp/", std::max<size_t>(1, s.ops / 2));
  double default_throughput = 0;
  for (auto& name : scheduler_names()) {
    // The baseline right before each configuration, so that both see the same machine load.
    progress("section 2: thread ping-pong baseline");
    auto pp = ping_pong(s.facade_gets);
    auto pp50 = quantile(pp, 0.5);
    auto pp99 = quantile(pp, 0.99);
    progress("section 2: scheduler " + name);
    auto cfg = make_config(name);
    caf::actor_system sys{*cfg};
    std::vector<double> samples;
    double throughput = 0;
    {
      options opts;
      opts.shards = s.shards;
      layered facade{sys, memory_only(), opts};
      if (auto ok = facade.start(); !ok)
        throw std::runtime_error("facade start: " + render(ok.error()));
      samples = sequential_gets(facade, data, s.facade_gets);
      auto r = drive(sys, facade.handle(), throughput_keys, op_kind::set, value, s.clients,
                     s.window);
      check(r, "pipelined set, scheduler " + name);
      throughput = r.rate();
    }
    auto p50 = quantile(samples, 0.5);
    auto p99 = quantile(samples, 0.99);
    t.add(row{"2", "facade get p50, " + name, p50, "us", "thread ping-pong p50", pp50, "<= 20 us",
              p50 <= 20, std::to_string(samples.size()) + " sequential gets"});
    t.add(row{"2", "facade get p99, " + name, p99, "us", "thread ping-pong p99", pp99, "", false,
              ""});
    if (name == "default")
      default_throughput = throughput;
    t.add(row{"2",
              "pipelined set, " + std::to_string(s.clients * s.window) + " requesters, " + name,
              throughput, "ops/s", "same, default scheduler", default_throughput, "", false,
              "the price of the latency knobs"});
  }
}

// -- section 3 ---------------------------------------------------------------------------------

void run_list_latency(const settings& s, table& t) {
  auto value = make_value(s.value_size);
  auto users = make_keys("users/", s.list_users);
  double small_p50 = 0;
  for (auto total : {s.list_users, std::max(s.list_big, s.list_users)}) {
    auto label = count_name(s.list_users) + " users, " + count_name(total) + " keys";
    progress("section 3: " + label + " (loading)");
    auto cfg = make_config(s.scheduler);
    caf::actor_system sys{*cfg};
    std::vector<double> samples;
    {
      options opts;
      opts.shards = s.shards;
      layered facade{sys, memory_only(), opts};
      if (auto ok = facade.start(); !ok)
        throw std::runtime_error("facade start: " + render(ok.error()));
      check(drive(sys, facade.handle(), users, op_kind::set, value, s.clients, s.window),
            "loading users");
      if (total > s.list_users) {
        // The other keys live under 1000 other parents.
        auto others = std::make_shared<std::vector<std::string>>();
        others->reserve(total - s.list_users);
        for (size_t i = 0; i < total - s.list_users; ++i)
          others->push_back("group" + std::to_string(i % 1000) + "/" + std::to_string(i));
        check(drive(sys, facade.handle(), others, op_kind::set, value, s.clients, s.window),
              "loading other keys");
      }
      auto stats = facade.stats();
      if (!stats || stats->keys != total)
        throw std::runtime_error("section 3: the store does not hold " + std::to_string(total)
                                 + " keys");
      progress("section 3: " + label + " (querying)");
      for (size_t i = 0; i < 10; ++i)
        static_cast<void>(facade.get_n("users/*", 0, 100));
      for (size_t i = 0; i < s.list_queries; ++i) {
        auto t0 = clock_type::now();
        auto page = facade.get_n("users/*", 0, 100);
        samples.push_back(micros_since(t0));
        if (!page || page->size() != std::min<size_t>(100, s.list_users))
          throw std::runtime_error("get_n returned the wrong page");
      }
    }
    auto p50 = quantile(samples, 0.5);
    auto p99 = quantile(samples, 0.99);
    auto note = std::to_string(samples.size()) + " queries, p99 " + format_value(p99, "us");
    if (total == s.list_users) {
      small_p50 = p50;
      t.add(row{"3", "get_n(users/*, 0, 100) p50, " + label, p50, "us", "aim 1 ms", 1000,
                "< 1 ms", p50 < 1000, note});
    } else {
      t.add(row{"3", "get_n(users/*, 0, 100) p50, " + label, p50, "us", "same with "
                + count_name(s.list_users) + " keys", small_p50, "< 1 ms, <= 1.5x (flat)",
                p50 < 1000 && p50 <= 1.5 * small_p50, note});
    }
  }
}

} // namespace ooo::storage::bench
