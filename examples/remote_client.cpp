// remote_client: a complete CAF program on its own node that uses an ooo-storaged node.
//
//   remote_client [--tls-cert FILE --tls-key FILE --tls-ca FILE] [HOST:PORT[,HOST:PORT...]]
//                                    (default: $OOO_STORAGE_NODE, else 127.0.0.1:7700)
//
// It connects to the first node that answers (with the three TLS files: CAF's OpenSSL module,
// mutual TLS; see transport/network.hpp), spawns a subscriber actor on its own node and
// subscribes it to a pattern, writes two keys, reads one back, deletes one, and waits for the
// three events of its own writes. Every remote request carries a timeout: CAF 0.17 waits
// forever for a node that went away otherwise.
//
// Several nodes are the members of a replicated group: any of them takes the subscription,
// but only the leader takes writes and reads. A follower answers `not_leader` naming the
// leader, and a group that is electing one answers `unavailable`: both mean that nothing was
// done, so the example asks again there (or at the next node of the list, or a little later).
//
// Exit codes: 0 everything worked; 1 the store answered an error or an event is missing;
// 2 usage error; 3 the node is unreachable or stopped answering.

#include <algorithm>
#include <chrono>
#include <set>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/io/middleman.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"
#include "transport/network.hpp"
#include "transport/tls_files.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ooo::storage;

constexpr int exit_ok = 0;
constexpr int exit_store_error = 1;
constexpr int exit_usage = 2;
constexpr int exit_unreachable = 3;

/// Bound of each request and of the connection attempt.
constexpr auto request_timeout = 5s;
/// How long we wait for the events of our own writes.
constexpr auto event_timeout = 5s;

/// How long a write or read may spend following the leader of a group.
constexpr auto leader_budget = 15s;

/// Connects to the store published at `addr` (HOST:PORT) over `sys`'s transport, within
/// `request_timeout`. `remote_actor` has no timeout of its own in CAF 0.17: it waits forever
/// for a peer that accepts TCP but never completes CAF's handshake. This is what it does, as a
/// request to the middleman actor, which can time out.
caf::expected<store_actor> connect(caf::scoped_actor& self, const std::string& addr) {
  auto colon = addr.rfind(':');
  auto host = addr.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoul(addr.substr(colon + 1)));
  caf::expected<store_actor> result{caf::error{}};
  self
    ->request(transport::middleman_actor_of(self->system()), request_timeout,
              caf::connect_atom::value, host, port)
    .receive(
      [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
        if (!ptr)
          result = caf::make_error(caf::sec::no_actor_published_at_port, port);
        else if (!self->system().assignable<store_actor>(ifs))
          result = caf::make_error(caf::sec::unexpected_actor_messaging_interface);
        else
          result = caf::actor_cast<store_actor>(std::move(ptr));
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// The subscriber: lives on this node, receives the store's events in batches (as requests)
/// and forwards each event to `sink`. Returning from the handler is the (empty) answer that
/// acknowledges the batch to the store.
caf::behavior subscriber(caf::event_based_actor* self, caf::actor sink) {
  return {
    [=](const event_batch& batch) {
      for (auto& ev : batch.events)
        self->send(sink, ev);
    },
    [=](const lagged& notice) { self->send(sink, notice); },
  };
}

/// Sends one request to the store and waits at most `request_timeout` for the answer.
template <class T, class... Ts>
caf::expected<T> call(caf::scoped_actor& self, const store_actor& store, Ts&&... xs) {
  caf::expected<T> result{caf::error{}};
  auto on_error = [&](caf::error& err) { result = std::move(err); };
  if constexpr (std::is_void<T>::value)
    self->request(store, request_timeout, std::forward<Ts>(xs)...)
      .receive([&] { result = caf::expected<void>{}; }, on_error);
  else
    self->request(store, request_timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); }, on_error);
  return result;
}

std::string text(const bytes& xs) {
  return std::string{xs.begin(), xs.end()};
}

bytes to_bytes(const std::string& x) {
  return bytes{x.begin(), x.end()};
}

/// The nodes given on the command line and the one the example talks to.
struct group_link {
  std::vector<std::string> nodes;
  size_t current = 0;
  store_actor store;

  /// Connects to the first node, from `from` on, that answers.
  caf::error connect_from(caf::scoped_actor& self, size_t from) {
    caf::error err;
    for (size_t step = 0; step < nodes.size(); ++step) {
      auto i = (from + step) % nodes.size();
      auto h = connect(self, nodes[i]);
      if (h) {
        current = i;
        store = std::move(*h);
        return caf::error{};
      }
      err = h.error();
    }
    return err;
  }

  /// A request to the group's leader: follows `not_leader` to the node it names (or the next
  /// one), asks again after `unavailable`; both mean nothing was done.
  template <class T, class... Ts>
  caf::expected<T> call_leader(caf::scoped_actor& self, const Ts&... xs) {
    auto deadline = std::chrono::steady_clock::now() + leader_budget;
    for (;;) {
      auto result = call<T>(self, store, xs...);
      if (result || std::chrono::steady_clock::now() >= deadline)
        return result;
      const caf::error& err = result.error();
      if (is(err, errc::unavailable)) {
        std::this_thread::sleep_for(200ms);
        continue;
      }
      if (!is(err, errc::not_leader))
        return result;
      const caf::message& ctx = err.context();
      std::string leader;
      if (ctx.size() == 1 && ctx.match_element<std::string>(0))
        leader = ctx.get_as<std::string>(0);
      auto named = std::find(nodes.begin(), nodes.end(), leader);
      if (named == nodes.end() && !leader.empty()) {
        nodes.push_back(leader);
        named = nodes.end() - 1;
      }
      auto from = leader.empty() ? current + 1 : static_cast<size_t>(named - nodes.begin());
      if (leader.empty())
        std::this_thread::sleep_for(200ms);
      if (connect_from(self, from))
        return result;
      std::cout << "following the leader to " << nodes[current] << std::endl;
    }
  }
};

/// Prints `err` and returns the exit code for it: 1 for an answer of the store (our error
/// category), 3 for everything else (timeouts, lost connections).
int report(caf::actor_system& sys, const std::string& what, const caf::error& err) {
  if (err.category() == error_category) {
    std::cerr << "error: " << what << ": " << render(err) << std::endl;
    return exit_store_error;
  }
  std::cerr << "error: " << what << ": node unreachable: " << sys.render(err) << std::endl;
  return exit_unreachable;
}

int run(caf::actor_system& sys, std::vector<std::string> nodes) {
  caf::scoped_actor self{sys};
  // -- connect -------------------------------------------------------------------------------
  group_link group;
  group.nodes = std::move(nodes);
  if (auto err = group.connect_from(self, 0)) {
    // A TLS node does not answer a plain client, and a plain node does not answer TLS.
    std::cerr << "error: node " << group.nodes.back() << " unreachable: " << sys.render(err)
              << (transport::uses_tls(sys) ? " (is it a TLS node?)"
                                           : " (a TLS node needs --tls-*)")
              << std::endl;
    // Not through the actor system's destructor: a TLS connection whose handshake never
    // finished (a mute peer; CAF's heartbeat gives up on it) keeps CAF 0.17's shutdown waiting
    // forever for its first write to drain.
    std::_Exit(exit_unreachable);
  }
  // The subscription stays on this node; writes and reads may move to the leader.
  auto store = group.store;
  auto addr = group.nodes[group.current];
  std::cout << "connected to " << addr << " over " << transport::transport_name(sys)
            << std::endl;
  // A down_msg for the store arrives if the connection breaks while we wait for events.
  self->monitor(store);

  // -- subscribe a local actor ---------------------------------------------------------------
  // A prefix of our own, so that other clients' writes do not show up in our events.
  auto prefix = "examples/remote-client-" + std::to_string(::getpid()) + "-"
                + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  auto pattern = prefix + "/*";
  auto sub = sys.spawn(subscriber, caf::actor_cast<caf::actor>(self));
  auto stop_subscriber = [&] { caf::anon_send_exit(sub, caf::exit_reason::user_shutdown); };
  auto id = call<uint64_t>(self, store, caf::subscribe_atom::value, pattern, sub);
  if (!id) {
    stop_subscriber();
    return report(sys, "subscribe " + pattern, id.error());
  }
  std::cout << "subscribed " << to_string(sub.address()) << " (on this node) to " << pattern
            << " as subscription " << *id << std::endl;

  // -- write, read, delete -------------------------------------------------------------------
  struct step {
    std::string key;
    std::string data; // empty: delete
  };
  std::vector<step> steps{{prefix + "/greeting", R"({"hello":"world"})"},
                          {prefix + "/counter", R"({"n":1})"},
                          {prefix + "/counter", ""}};
  for (auto& s : steps) {
    if (s.data.empty()) {
      auto n = group.call_leader<deleted>(self, del_atom::value, s.key);
      if (!n) {
        stop_subscriber();
        return report(sys, "del " + s.key, n.error());
      }
      std::cout << "del " << s.key << " -> " << n->count << " deleted at revision " << n->revision
                << std::endl;
      continue;
    }
    auto r = group.call_leader<receipt>(self, set_atom::value, s.key, to_bytes(s.data),
                                        write_options{});
    if (!r) {
      stop_subscriber();
      return report(sys, "set " + s.key, r.error());
    }
    std::cout << "set " << s.key << " -> revision " << r->revision << std::endl;
  }
  auto obj = group.call_leader<object>(self, caf::get_atom::value, prefix + "/greeting");
  if (!obj) {
    stop_subscriber();
    return report(sys, "get " + prefix + "/greeting", obj.error());
  }
  std::cout << "get " << obj->path << " -> " << text(obj->data) << " (index " << obj->index()
            << ", revision " << obj->revision << ", created " << obj->created << ")"
            << std::endl;

  // -- receive the events of our own writes --------------------------------------------------
  int code = exit_ok;
  size_t received = 0;
  uint64_t last_revision = 0;
  bool waiting = true;
  self->receive_while([&] { return waiting && received < steps.size(); })(
    [&](event& ev) {
      auto& expected = steps[received];
      auto op = expected.data.empty() ? event_op::del : event_op::set;
      std::cout << "event revision " << ev.revision << " " << to_string(ev.op) << " " << ev.key;
      if (ev.value)
        std::cout << " " << text(ev.value->data);
      std::cout << std::endl;
      if (ev.key != expected.key || ev.op != op || ev.revision <= last_revision) {
        std::cerr << "error: unexpected event: wanted " << to_string(op) << " " << expected.key
                  << " after revision " << last_revision << std::endl;
        code = exit_store_error;
        waiting = false;
      }
      last_revision = ev.revision;
      ++received;
    },
    [&](lagged& notice) {
      std::cerr << "error: subscription lagged: " << notice.dropped << " events dropped"
                << std::endl;
      code = exit_store_error;
      waiting = false;
    },
    [&](caf::down_msg& msg) {
      std::cerr << "error: node " << addr << " unreachable: lost the connection ("
                << sys.render(msg.reason) << ")" << std::endl;
      code = exit_unreachable;
      waiting = false;
    },
    caf::after(event_timeout) >> [&] {
      std::cerr << "error: got " << received << " of " << steps.size() << " events within "
                << std::chrono::seconds{event_timeout}.count() << "s" << std::endl;
      code = exit_store_error;
      waiting = false;
    });

  // -- clean up ------------------------------------------------------------------------------
  if (code != exit_unreachable) {
    if (auto res = call<void>(self, store, caf::unsubscribe_atom::value, *id); !res)
      std::cerr << "warning: unsubscribe: " << sys.render(res.error()) << std::endl;
    if (auto res = group.call_leader<deleted>(self, del_atom::value, pattern); !res)
      std::cerr << "warning: del " << pattern << ": " << sys.render(res.error()) << std::endl;
  }
  stop_subscriber();
  if (code == exit_ok)
    std::cout << "ok: received " << received << " events of our own writes" << std::endl;
  return code;
}

bool parse_address(const std::string& x) {
  auto colon = x.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  char* end = nullptr;
  auto n = std::strtoul(x.c_str() + colon + 1, &end, 10);
  return *end == '\0' && n > 0 && n <= 65535;
}

/// `HOST:PORT[,HOST:PORT...]`; empty if any element is not HOST:PORT.
std::vector<std::string> parse_nodes(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (!parse_address(item))
      return {};
    out.push_back(item);
  }
  return out;
}

int usage() {
  std::cerr << "usage: remote_client [--tls-cert FILE --tls-key FILE --tls-ca FILE] "
               "[HOST:PORT[,HOST:PORT...]]\n"
               "       (default: $OOO_STORAGE_NODE, else 127.0.0.1:7700; several nodes: a "
               "replicated group)"
            << std::endl;
  return exit_usage;
}

} // namespace

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:7700";
  if (auto env = std::getenv("OOO_STORAGE_NODE"); env != nullptr && *env != '\0')
    addr = env;
  transport::tls_files tls;
  bool has_addr = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string* file = arg == "--tls-cert" ? &tls.cert
                        : arg == "--tls-key" ? &tls.key
                        : arg == "--tls-ca"  ? &tls.ca
                                             : nullptr;
    if (file != nullptr && i + 1 < argc)
      *file = argv[++i];
    else if (file == nullptr && !has_addr && !arg.empty() && arg[0] != '-')
      addr = arg, has_addr = true;
    else
      return usage();
  }
  auto nodes = parse_nodes(addr);
  if (nodes.empty()) {
    std::cerr << "error: node address must be HOST:PORT[,HOST:PORT...], got '" << addr << "'"
              << std::endl;
    return exit_usage;
  }
  if (auto err = transport::check(tls, transport::tls_role::client)) {
    std::cerr << "error: " << caf::actor_system_config::render(err) << std::endl;
    return exit_usage;
  }
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  // With the TLS files: loads caf::openssl::manager and sets openssl.certificate, openssl.key
  // and openssl.cafile, so that both sides verify each other against the CA.
  if (auto err = transport::use_tls(cfg, tls)) {
    std::cerr << "error: " << caf::actor_system_config::render(err) << std::endl;
    return exit_store_error;
  }
  // Heartbeats both ways: the node notices when this program dies, and we notice a dead node.
  transport::use_heartbeats(cfg);
  // Every node that talks to a store registers its types: unregistered types fail on the wire.
  register_types(cfg);
  caf::actor_system sys{cfg};
  return run(sys, std::move(nodes));
}
