// ooo-redis-compare: the CAF side of bench/vs-redis.sh. Drives SET and GET load into a remote
// ooo-storaged node the way `redis-benchmark -t set,get -d SIZE -c CLIENTS -n N -P WINDOW -r
// KEYSPACE` drives Redis: CLIENTS client actors, each keeping WINDOW requests in flight (the next
// request leaves when a reply arrives), N requests per test in all, keys drawn from KEYSPACE.
//
//   ooo-redis-compare HOST:PORT [--clients 50] [--window 1] [--requests 100000]
//                     [--value-size 64] [--keyspace 100000] [--timeout-s 30]
//                     [--tests set,get]   (or only set, or only get)
//                     [--tls-cert FILE --tls-key FILE --tls-ca FILE]   (mutual TLS)
//                     [--CAF-OPTION=VALUE ...]   (e.g. --scheduler.max-threads=1)
//
// Prints one line per test (set, then get):
//   result test=set clients=50 window=1 requests=100000 errors=0 seconds=1.23 rps=81234 p50_ms=0.55 p99_ms=1.2
// Exit codes: 0 ok; 1 a request failed or timed out; 2 usage; 3 node unreachable.
//
// Unlike redis-benchmark's 50 TCP connections, all client actors of this process share one CAF
// (BASP) connection to the node: CAF multiplexes every actor of a node pair over one connection.
// Every request carries a timeout (CAF 0.17 waits forever for a lost node otherwise).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/io/middleman.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"
#include "transport/network.hpp"
#include "transport/tls_files.hpp"

namespace {

using namespace ooo::storage;
using clock_type = std::chrono::steady_clock;
using go_atom = caf::atom_constant<caf::atom("go")>;

struct settings {
  std::string host;
  uint16_t port = 0;
  size_t clients = 50;
  size_t window = 1;
  size_t requests = 100000;
  size_t value_size = 64;
  size_t keyspace = 100000;
  long timeout_s = 30;
  /// Which tests run, in this order (bench/profile.sh records the node under sets alone).
  bool set_test = true;
  bool get_test = true;
};

/// What every client shares: the keys, the value, and the finish line.
struct shared_load {
  std::vector<std::string> keys;
  bytes value;
  bool set = true;
  caf::timespan timeout{};
  std::atomic<size_t> remaining{0};
  std::atomic<uint64_t> errors{0};
  std::promise<void> all_done;
  /// Latency of every request in ns, one slot per request (each client owns its slots).
  std::vector<int64_t> latencies;
};

struct client_state {
  std::shared_ptr<shared_load> load;
  store_actor store;
  /// This client's requests are the indexes first, first + stride, ... below `end`.
  size_t next = 0;
  size_t stride = 1;
  size_t end = 0;
  size_t outstanding = 0;
  uint64_t errors = 0;
  static inline const char* name = "ooo.redis_compare.client";
};

using client_pointer = caf::stateful_actor<client_state>*;

void issue(client_pointer self);

void on_answer(client_pointer self, size_t index, clock_type::time_point sent, bool ok) {
  auto& st = self->state;
  st.load->latencies[index] = (clock_type::now() - sent).count();
  if (!ok)
    ++st.errors;
  --st.outstanding;
  issue(self);
  if (st.outstanding == 0) {
    st.load->errors += st.errors;
    if (--st.load->remaining == 0)
      st.load->all_done.set_value();
    self->quit();
  }
}

void issue(client_pointer self) {
  auto& st = self->state;
  if (st.next >= st.end)
    return;
  auto index = st.next;
  st.next += st.stride;
  ++st.outstanding;
  auto& load = *st.load;
  auto& key = load.keys[index % load.keys.size()];
  auto sent = clock_type::now();
  if (load.set)
    self->request(st.store, load.timeout, set_atom::value, key, load.value, write_options{})
      .then([self, index, sent](receipt&) { on_answer(self, index, sent, true); },
            [self, index, sent](caf::error&) { on_answer(self, index, sent, false); });
  else
    self->request(st.store, load.timeout, caf::get_atom::value, key)
      .then([self, index, sent](object&) { on_answer(self, index, sent, true); },
            [self, index, sent](caf::error&) { on_answer(self, index, sent, false); });
}

caf::behavior client(client_pointer self, client_state init, size_t window) {
  self->state = std::move(init);
  return {
    [self, window](go_atom) {
      for (size_t i = 0; i < window; ++i)
        issue(self);
      if (self->state.outstanding == 0) {
        if (--self->state.load->remaining == 0)
          self->state.load->all_done.set_value();
        self->quit();
      }
    },
  };
}

double percentile_ms(std::vector<int64_t>& xs, double p) {
  if (xs.empty())
    return 0;
  auto k = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k), xs.end());
  return static_cast<double>(xs[k]) / 1e6;
}

/// Runs one test; returns false if a request failed or the run did not finish in time.
bool run_test(caf::actor_system& sys, const store_actor& store, const settings& cfg, bool set) {
  auto load = std::make_shared<shared_load>();
  load->set = set;
  load->timeout = std::chrono::seconds{cfg.timeout_s};
  load->keys.reserve(cfg.keyspace);
  char buf[32];
  for (size_t i = 0; i < cfg.keyspace; ++i) {
    std::snprintf(buf, sizeof(buf), "bench/key%012zu", i);
    load->keys.emplace_back(buf);
  }
  load->value = bytes(cfg.value_size, 'x');
  load->latencies.assign(cfg.requests, 0);
  // Request i uses key i mod keyspace, so that every get finds what the sets wrote (redis-benchmark
  // -r draws keys at random; for hash maps the order makes no difference).
  auto clients = std::max<size_t>(1, std::min(cfg.clients, cfg.requests));
  load->remaining = clients;
  auto finished = load->all_done.get_future();
  std::vector<caf::actor> spawned;
  for (size_t c = 0; c < clients; ++c) {
    client_state init;
    init.load = load;
    init.store = store;
    init.next = c;
    init.stride = clients;
    init.end = cfg.requests;
    spawned.push_back(sys.spawn(client, std::move(init), cfg.window));
  }
  auto t0 = clock_type::now();
  for (auto& c : spawned)
    caf::anon_send(c, go_atom::value);
  // Every request has its own timeout, so this bound is only a last resort.
  auto limit = std::chrono::seconds{cfg.timeout_s}
               * static_cast<long>(1 + cfg.requests / (clients * cfg.window));
  if (finished.wait_for(std::min<std::chrono::seconds>(limit, std::chrono::hours{1}))
      != std::future_status::ready) {
    std::cerr << "error: the " << (set ? "set" : "get") << " test did not finish" << std::endl;
    for (auto& c : spawned)
      caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    return false;
  }
  auto seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto p50 = percentile_ms(load->latencies, 0.50);
  auto p99 = percentile_ms(load->latencies, 0.99);
  std::printf("result test=%s clients=%zu window=%zu requests=%zu errors=%llu seconds=%.3f "
              "rps=%.0f p50_ms=%.3f p99_ms=%.3f\n",
              set ? "set" : "get", clients, cfg.window, cfg.requests,
              static_cast<unsigned long long>(load->errors.load()), seconds,
              static_cast<double>(cfg.requests) / seconds, p50, p99);
  std::fflush(stdout);
  return load->errors == 0;
}

bool parse_size(const char* x, size_t& out) {
  char* end = nullptr;
  auto n = std::strtoull(x, &end, 10);
  if (*x == '\0' || *end != '\0' || n == 0)
    return false;
  out = static_cast<size_t>(n);
  return true;
}

int usage() {
  std::cerr << "usage: ooo-redis-compare HOST:PORT [--clients N] [--window N] [--requests N] "
               "[--value-size N] [--keyspace N] [--timeout-s N] [--tests set|get|set,get] "
               "[--tls-cert FILE --tls-key FILE "
               "--tls-ca FILE] [--CAF-OPTION=VALUE ...]"
            << std::endl;
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  settings cfg;
  if (argc < 2)
    return usage();
  std::string addr = argv[1];
  auto colon = addr.rfind(':');
  size_t port = 0;
  if (colon == std::string::npos || colon == 0 || !parse_size(addr.c_str() + colon + 1, port)
      || port > 65535)
    return usage();
  cfg.host = addr.substr(0, colon);
  cfg.port = static_cast<uint16_t>(port);
  caf::actor_system_config::string_list caf_args;
  transport::tls_files tls;
  for (int i = 2; i < argc; i += 2) {
    if (std::string_view arg{argv[i]};
        arg.find('=') != std::string_view::npos && arg.find('.') < arg.find('=')) {
      caf_args.emplace_back(arg); // CAF's own option, e.g. --scheduler.max-threads=1
      --i;
      continue;
    }
    if (i + 1 >= argc)
      return usage();
    std::string name = argv[i];
    if (auto* file = name == "--tls-cert" ? &tls.cert
                     : name == "--tls-key" ? &tls.key
                     : name == "--tls-ca"  ? &tls.ca
                                           : nullptr) {
      *file = argv[i + 1];
      continue;
    }
    if (name == "--tests") {
      std::string_view which{argv[i + 1]};
      cfg.set_test = which == "set" || which == "set,get";
      cfg.get_test = which == "get" || which == "set,get";
      if (!cfg.set_test && !cfg.get_test)
        return usage();
      continue;
    }
    size_t value = 0;
    if (!parse_size(argv[i + 1], value))
      return usage();
    if (name == "--clients")
      cfg.clients = value;
    else if (name == "--window")
      cfg.window = value;
    else if (name == "--requests")
      cfg.requests = value;
    else if (name == "--value-size")
      cfg.value_size = value;
    else if (name == "--keyspace")
      cfg.keyspace = value;
    else if (name == "--timeout-s")
      cfg.timeout_s = static_cast<long>(value);
    else
      return usage();
  }
  caf::actor_system_config sys_cfg;
  sys_cfg.load<caf::io::middleman>();
  register_types(sys_cfg);
  if (auto err = sys_cfg.parse(std::move(caf_args))) {
    std::cerr << "error: " << caf::actor_system_config::render(err) << std::endl;
    return 2;
  }
  if (auto err = transport::check(tls, transport::tls_role::client)) {
    std::cerr << "error: " << caf::actor_system_config::render(err) << std::endl;
    return 2;
  }
  if (auto err = transport::use_tls(sys_cfg, tls)) {
    std::cerr << "error: " << caf::actor_system_config::render(err) << std::endl;
    return 2;
  }
  transport::use_heartbeats(sys_cfg);
  caf::actor_system sys{sys_cfg};
  // A refused connection fails at once; vs-redis.sh only calls us once the node listens.
  auto store = transport::remote_actor<store_actor>(sys, cfg.host, cfg.port);
  if (!store) {
    std::cerr << "error: node " << addr << " unreachable: " << sys.render(store.error())
              << std::endl;
    // A TLS connection that never finished its handshake would keep CAF 0.17's shutdown
    // waiting forever.
    std::_Exit(3);
  }
  bool ok = (!cfg.set_test || run_test(sys, *store, cfg, true))
            && (!cfg.get_test || run_test(sys, *store, cfg, false));
  return ok ? 0 : 1;
}
