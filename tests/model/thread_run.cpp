#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/io/middleman.hpp"

#include "actors/layered.hpp"
#include "actors/store.hpp"
#include "messages/register_types.hpp"
#include "persistence/rocksdb_adapter.hpp"
#include "tests/model/audit.hpp"
#include "tests/model/recording_adapter.hpp"
#include "tests/model/run.hpp"
#include "tests/support/faulty_adapter.hpp"
#include "tests/support/memory_disk.hpp"

namespace ooo::storage::model {

options store_options(const run_options& ro); // sim_run.cpp

namespace {

struct node_config : caf::actor_system_config {
  node_config() {
    register_types(*this);
    load<caf::io::middleman>();
    set("logger.verbosity", caf::atom("quiet"));
  }
};

caf::behavior finish_counter(caf::event_based_actor*, std::shared_ptr<std::atomic<int>> done) {
  return {[=](done_atom) { ++*done; }};
}

/// A temporary directory that removes itself.
struct temp_dir {
  std::string path;
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "ooo-model-XXXXXX";
    std::string tmpl = base.string();
    if (mkdtemp(tmpl.data()) != nullptr)
      path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path.empty())
      std::filesystem::remove_all(path, ec);
  }
};

/// A thread sharing the facade with others: lock cycles (get_and_lock -> set_and_unlock) on the
/// lock keys and plain writes and reads, one call at a time.
void facade_client(layered& store, std::shared_ptr<history> log, key_space keys, int client,
                   uint64_t seed, int n) {
  std::mt19937_64 rng{seed};
  uint64_t seq = 0;
  auto next = [&](op_kind kind, const std::string& key) {
    op x;
    x.client = client;
    x.seq = seq++;
    x.kind = kind;
    x.key = key;
    return x;
  };
  auto text = [](const bytes& b) { return std::string(b.begin(), b.end()); };
  for (int i = 0; i < n; ++i) {
    auto roll = rng() % 10;
    if (roll < 5) {
      // The seed's lock pattern: read under the lock, write and release.
      auto key = keys.lock_keys[rng() % keys.lock_keys.size()];
      auto grant = log->invoke(next(op_kind::get_lock, key));
      auto obj = store.get_and_lock(key);
      log->complete(grant, [&](op& o) {
        if (obj)
          o.read = *obj;
        else
          o.error = obj.error();
      });
      if (!obj) {
        if (is(obj.error(), errc::not_found)) {
          auto x = next(op_kind::set, key);
          auto id = log->invoke(x, "facade");
          auto r = store.write(key, make_value(id, "facade"));
          log->complete(id, [&](op& o) {
            if (r)
              o.written = *r;
            else
              o.error = r.error();
          });
        }
        continue;
      }
      auto x = next(op_kind::set, key);
      x.wopts.unlock = true;
      x.grant = grant;
      x.receipt_unknown = true;
      auto id = log->invoke(x, "facade");
      auto value = make_value(id, "facade");
      auto r = store.set_and_unlock(key, text(value));
      log->complete(id, [&](op& o) {
        if (!r)
          o.error = r.error();
      });
    } else if (roll < 8) {
      auto key = keys.keys[rng() % keys.keys.size()];
      auto id = log->invoke(next(op_kind::get, key));
      auto obj = store.get(key);
      log->complete(id, [&](op& o) {
        if (obj)
          o.read = *obj;
        else
          o.error = obj.error();
      });
    } else {
      auto key = keys.keys[rng() % keys.keys.size()];
      auto id = log->invoke(next(op_kind::set, key), "facade");
      auto r = store.write(key, make_value(id, "facade"));
      log->complete(id, [&](op& o) {
        if (r)
          o.written = *r;
        else
          o.error = r.error();
      });
    }
  }
}

} // namespace

run_result run_threads(const run_options& ro, double seconds, const std::string& dir_option) {
  run_result result;
  auto log = std::make_shared<history>();
  std::mt19937_64 rng{ro.seed ^ 0x7412ull};
  temp_dir tmp;
  auto dir = dir_option.empty() ? tmp.path + "/db" : dir_option;
  auto faults = std::make_shared<faulty_adapter::controls>();
  auto open_adapter = [&]() -> std::unique_ptr<adapter> {
    auto disk = rocksdb_adapter::open(dir, durability::sync);
    if (!disk)
      return nullptr;
    auto recorded = std::make_unique<recording_adapter>(std::move(*disk), log);
    return std::make_unique<faulty_adapter>(faults, std::move(recorded));
  };
  auto opts = store_options(ro);
  if (ro.timeouts)
    opts.lock_lease = std::chrono::milliseconds{5};
  auto keys = key_space::make(ro.load.hooks);
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  {
    node_config cfg;
    caf::actor_system sys{cfg};
    auto adapter = open_adapter();
    if (!adapter) {
      result.violations.push_back(violation{"start", "cannot open RocksDB in " + dir, "", {}});
      return result;
    }
    auto facade = std::make_unique<layered>(sys, layered_config{std::move(adapter),
                                                                durability::sync},
                                            opts);
    // Facade calls must not wait a minute for a hung store.
    facade->timeout(std::chrono::seconds{10});
    auto store = facade->handle();
    auditor audit{sys, log, [] {}, false};
    if (!audit.start(store)) {
      result.violations.push_back(violation{"start", "the store did not start", "", {}});
      return result;
    }
    auto port = sys.middleman().publish(store, 0, "127.0.0.1");
    auto done = std::make_shared<std::atomic<int>>(0);
    auto parent = sys.spawn(finish_counter, done);
    auto spawned = spawn_workload(sys, store, log, keys, ro.load, rng, parent);
    auto& clients = spawned.clients;
    auto& watchers = spawned.watchers;
    auto& client = spawned.last_client;
    int expected = static_cast<int>(clients.size());
    // A client on another actor system, through CAF's network on loopback.
    std::unique_ptr<node_config> remote_cfg;
    std::unique_ptr<caf::actor_system> remote_sys;
    caf::actor remote_parent;
    if (port) {
      remote_cfg = std::make_unique<node_config>();
      remote_sys = std::make_unique<caf::actor_system>(*remote_cfg);
      auto remote = remote_sys->middleman().remote_actor<store_actor>("127.0.0.1", *port);
      if (remote) {
        remote_parent = remote_sys->spawn(finish_counter, done);
        clients.push_back(spawn_pipeliner(*remote_sys, *remote, log, keys, ++client, rng(),
                                          ro.load.window, ro.load.ops_per_pipeliner / 2,
                                          ro.load.silent, remote_parent));
        ++expected;
      } else {
        result.violations.push_back(
          violation{"remote", "cannot reach the published store: " + to_string(remote.error()),
                    "", {}});
      }
    }
    // Threads sharing the one facade.
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      auto c = ++client;
      auto s = rng();
      threads.emplace_back([&, c, s] { facade_client(*facade, log, keys, c, s, 40); });
    }
    while (*done < expected && std::chrono::steady_clock::now() < deadline) {
      if (ro.faults && rng() % 50 == 0)
        faults->fail_nth_write(faults->write_calls() + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    for (auto& t : threads)
      t.join();
    faults->reset();
    for (auto& w : watchers)
      caf::anon_send(w, settle_atom::value);
    // Let the last acknowledgements and events land.
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    audit.read_everything(store, keys);
    for (auto& x : clients)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    if (remote_parent)
      caf::anon_send_exit(remote_parent, caf::exit_reason::user_shutdown);
    remote_sys.reset();
    if (port)
      sys.middleman().unpublish(store, *port);
    for (auto& x : watchers)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(parent, caf::exit_reason::user_shutdown);
    facade.reset(); // closes the store and RocksDB
    if (ro.restart) {
      auto again_adapter = open_adapter();
      if (!again_adapter) {
        result.violations.push_back(violation{"restart", "cannot reopen " + dir, "", {}});
      } else {
        store_config sc;
        sc.opts = opts;
        sc.mode = durability::sync;
        sc.persistent = std::move(again_adapter);
        auto again = spawn_store(sys, std::move(sc));
        if (!audit.start(again)) {
          result.violations.push_back(violation{"restart", "the store did not start again", "", {}});
        } else {
          audit.read_everything(again, keys);
          audit.resume_all(again, ro.history_events);
        }
        audit.close(again);
        audit.stop();
        caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
      }
    }
    audit.stop();
  }
  result.input.ops = log->ops();
  result.input.subscriptions = log->subscriptions();
  result.input.commits = log->commits();
  result.input.leases_may_expire = ro.timeouts;
  if (ro.load.hooks)
    result.input.failing_read_keys = {"boom/*"};
  auto found = check(result.input);
  result.violations.insert(result.violations.end(), found.begin(), found.end());
  return result;
}

} // namespace ooo::storage::model
