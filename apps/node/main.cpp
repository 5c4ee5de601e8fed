// ooo-storaged: one store, published through CAF's middleman.
//
// Exit codes: 0 stopped by SIGTERM/SIGINT after a clean close; 1 the store could not be opened,
// started or published (or did not close cleanly); 2 invalid options.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "caf/actor_system.hpp"
#include "caf/io/middleman.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/store.hpp"
#include "apps/node/listen_policy.hpp"
#include "apps/node/node_config.hpp"
#include "apps/node/stop_signals.hpp"
#include "cluster/group_node.hpp"
#include "gateway/gateway.hpp"
#include "messages/errc.hpp"
#include "persistence/rocksdb_adapter.hpp"
#include "transport/network.hpp"

namespace ooo::storage {
namespace {

using namespace std::chrono_literals;

/// Loading a large store from disk takes a while (about 150 ms per million keys).
constexpr auto start_timeout = 10min;
/// Closing flushes what persistence still holds.
constexpr auto close_timeout = 60s;
/// After a clean close the actor system must go away by then, or the process ends anyway. CAF
/// 0.17's shutdown occasionally hangs after the store closed (seen once in ~100 stops, under
/// load); by then RocksDB is closed and nothing acknowledged can be lost.
constexpr auto shutdown_grace = 3s;

int fail(const std::string& what) {
  std::cerr << "error: " << what << std::endl;
  return 1;
}

/// Ends the process if CAF's shutdown hangs (an actor still alive): the store is closed by
/// then, so nothing acknowledged can be lost.
void arm_shutdown_watchdog(int code) {
  std::thread{[code] {
    std::this_thread::sleep_for(shutdown_grace);
    spdlog::warn("actor system did not shut down within {}s; exiting anyway",
                 std::chrono::duration_cast<std::chrono::seconds>(shutdown_grace).count());
    std::fflush(stdout);
    std::_Exit(code);
  }}.detach();
}

int serve(caf::actor_system& sys, const node_settings& cfg, const gateway::gateway_settings& http,
          std::unique_ptr<adapter> disk) {
  store_config sc;
  sc.opts.shards = cfg.shards;
  sc.mode = cfg.mode;
  sc.persistent = std::move(disk);
  auto shards = shard_count(sc.opts);
  auto store = spawn_store(sys, std::move(sc));
  caf::scoped_actor self{sys};
  auto stop_store = [&] { self->send_exit(store, caf::exit_reason::user_shutdown); };
  caf::error err;
  self->request(store, start_timeout, start_atom::value)
    .receive([] {}, [&](caf::error& x) { err = std::move(x); });
  if (err) {
    stop_store();
    return fail(render(err));
  }
  const char* in = cfg.host == "0.0.0.0" ? nullptr : cfg.host.c_str();
  // One port, TLS or plain (never both): see listen_policy.hpp.
  auto port = transport::publish(store, cfg.port, in);
  if (!port) {
    stop_store();
    return fail("cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) + ": "
                + sys.render(port.error()));
  }
  std::unique_ptr<gateway::http_gateway> web;
  if (http.enabled) {
    auto started = gateway::http_gateway::start(
      sys, caf::actor_cast<caf::strong_actor_ptr>(store), http);
    if (!started) {
      stop_store();
      return fail(sys.render(started.error()));
    }
    web = std::move(*started);
  }
  spdlog::info("store started: {} shards, durability {}, data dir {}, {}", shards,
               to_string(cfg.mode), cfg.mode == durability::memory ? "-" : cfg.data_dir,
               transport::uses_tls(sys) ? "mutual TLS" : "plain TCP");
  std::cout << "listening on " << cfg.host << ':' << *port << std::endl;
  if (web)
    std::cout << "http listening on " << web->address() << std::endl;
  auto sig = wait_for_stop_signal();
  spdlog::info("{}: closing the store", sig);
  if (web)
    web->stop(); // first: its connections are clients of the store
  // Stop accepting first; connected clients get `not_active` from here on.
  if (auto res = sys.middleman().unpublish(store, *port); !res)
    spdlog::warn("unpublish: {}", sys.render(res.error()));
  int code = 0;
  self->request(store, close_timeout, caf::close_atom::value)
    .receive([] { spdlog::info("store closed"); },
             [&](caf::error& x) {
               spdlog::error("close failed: {}", render(x));
               code = 1;
             });
  stop_store();
  return code;
}

/// A member of a replicated group: the same port, gateway and shutdown as `serve`, in front of
/// a store that commits through the group (cluster/group_node.hpp).
int serve_group(caf::actor_system& sys, const node_settings& cfg,
                const gateway::gateway_settings& http) {
  auto started = cluster::group_node::start(sys, cfg.group);
  if (!started)
    return fail(sys.render(started.error()));
  auto node = std::move(*started);
  const char* in = cfg.host == "0.0.0.0" ? nullptr : cfg.host.c_str();
  auto port = transport::publish(node->front(), cfg.port, in);
  if (!port) {
    node->close();
    return fail("cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) + ": "
                + sys.render(port.error()));
  }
  // Followers name this address in `not_leader`: a wildcard host is no address to go to, so
  // the host of the Raft address (where the other members reach this machine) stands in.
  auto advertised = cfg.host;
  if (advertised == "0.0.0.0" || advertised == "::")
    advertised = cfg.group.raft_address.substr(0, cfg.group.raft_address.rfind(':'));
  node->set_client_address(advertised + ':' + std::to_string(*port));
  std::unique_ptr<gateway::http_gateway> web;
  if (http.enabled) {
    auto gw = gateway::http_gateway::start(
      sys, caf::actor_cast<caf::strong_actor_ptr>(node->front()), http);
    if (!gw) {
      node->close();
      return fail(sys.render(gw.error()));
    }
    web = std::move(*gw);
  }
  if (!is_loopback(cfg.group.raft_address.substr(0, cfg.group.raft_address.rfind(':'))))
    spdlog::warn("the Raft port {} is plain TCP without authentication: firewall it to the "
                 "group's hosts (README, Security)",
                 cfg.group.raft_address);
  spdlog::info("group member {} on {}: {} shards, data dir {}, {}", cfg.group.node_id,
               cfg.group.raft_address, shard_count(cfg.group.store_options), cfg.data_dir,
               transport::uses_tls(sys) ? "mutual TLS" : "plain TCP");
  std::cout << "listening on " << cfg.host << ':' << *port << std::endl;
  if (web)
    std::cout << "http listening on " << web->address() << std::endl;
  auto sig = wait_for_stop_signal();
  spdlog::info("{}: leaving the group", sig);
  if (web)
    web->stop();
  if (auto res = sys.middleman().unpublish(node->front(), *port); !res)
    spdlog::warn("unpublish: {}", sys.render(res.error()));
  int code = 0;
  if (auto err = node->close()) {
    spdlog::error("close failed: {}", sys.render(err));
    code = 1;
  } else {
    spdlog::info("store closed");
  }
  return code;
}

int run(int argc, char** argv) {
  block_stop_signals();
  std::signal(SIGPIPE, SIG_IGN);
  auto log = spdlog::stderr_color_mt("ooo-storaged");
  log->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(log);
  node_config cfg;
  if (auto err = cfg.parse(normalize_args(argc, argv))) {
    std::cerr << "error: " << caf::actor_system_config::render(err) << std::endl;
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  auto settings = cfg.settings();
  if (!settings) {
    std::cerr << "error: " << caf::actor_system_config::render(settings.error()) << std::endl;
    return 2;
  }
  auto http = cfg.http.settings();
  if (!http) {
    std::cerr << "error: " << caf::actor_system_config::render(http.error()) << std::endl;
    return 2;
  }
  if (auto err = transport::use_tls(cfg, settings->tls))
    return fail(caf::actor_system_config::render(err));
  if (settings->insecure && !is_loopback(settings->host))
    spdlog::warn("--insecure: plain TCP on {}, no authentication: anyone who reaches this port "
                 "can read, write and delete every key",
                 settings->host);
  std::unique_ptr<adapter> disk;
  if (settings->mode != durability::memory && !settings->grouped) {
    auto opened = rocksdb_adapter::open(settings->data_dir, settings->mode);
    if (!opened)
      return fail(render(opened.error()));
    disk = std::move(*opened);
  }
  int code;
  {
    caf::actor_system sys{cfg};
    code = settings->grouped ? serve_group(sys, *settings, *http)
                             : serve(sys, *settings, *http, std::move(disk));
    arm_shutdown_watchdog(code);
  }
  spdlog::info("stopped");
  return code;
}

} // namespace
} // namespace ooo::storage

int main(int argc, char** argv) {
  return ooo::storage::run(argc, argv);
}
