// huge_value_client: a CAF client (a certificate holder, over TLS or plain TCP) that sends a node
// a well-formed `set` whose value claims to be 4 GiB long but carries 16 bytes. The process
// test around it (tls.py) measures the node's memory meanwhile.
//
//   huge_value_client HOST:PORT [--tls-cert FILE --tls-key FILE --tls-ca FILE] [--count N]
//
// To write such a message it registers its own type under the value type's name,
// `ooo::storage::bytes`, whose serializer writes the length 2^32 - 1 and then 16 bytes: on the
// wire it is exactly what a peer that lies about a length sends. Sends N (default 3) of them,
// each with a 2 s timeout, then asks the node `active` over the same connection.
//
// Prints one line per request: `set: error: ...` (CAF 0.17 turns a message with an element that
// fails to decode into an empty message, which the store refuses as `unexpected_message`),
// `set: no answer` (the message was dropped) or `set: stored` (the lie was believed), then
// `active: true`.
// Exit codes: 0 the node answered `active` afterwards; 1 it did not; 2 usage; 3 no connection.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/deserializer.hpp"
#include "caf/io/middleman.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/serializer.hpp"
#include "caf/actor_cast.hpp"

#include "messages/atoms.hpp"
#include "messages/object.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"
#include "transport/network.hpp"
#include "transport/tls_files.hpp"

namespace {

using namespace std::chrono_literals;

/// Serializes as a value of 2^32 - 1 bytes followed by 16 of them.
struct lying_value {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lying_value&) {
  if constexpr (std::is_base_of<caf::serializer, Inspector>::value) {
    size_t claimed = UINT32_MAX;
    char sent[16] = "0123456789abcde";
    if (auto err = f.begin_sequence(claimed))
      return err;
    if (auto err = f.apply_raw(sizeof(sent), sent))
      return err;
    return f.end_sequence();
  } else if constexpr (std::is_base_of<caf::deserializer, Inspector>::value) {
    return caf::make_error(caf::sec::runtime_error, "never decoded here");
  } else {
    return f(caf::meta::type_name("lying_value"));
  }
}

struct config : caf::actor_system_config {
  config() {
    // Every type of the store's interface (so that its typed handle matches the node's), then
    // the lie under the name the node decodes values by: CAF names a message element by its
    // C++ type, so a `lying_value` travels as `ooo::storage::bytes`.
    ooo::storage::register_types(*this);
    add_message_type<lying_value>("ooo::storage::bytes");
    ooo::storage::transport::use_heartbeats(*this);
  }
};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"sends a node values that claim 4 GiB"};
  std::string node;
  ooo::storage::transport::tls_files files;
  int count = 3;
  app.add_option("NODE", node, "HOST:PORT")->required();
  app.add_option("--tls-cert", files.cert, "client certificate (PEM)");
  app.add_option("--tls-key", files.key, "its key (PEM)");
  app.add_option("--tls-ca", files.ca, "the cluster's CA (PEM)");
  app.add_option("--count", count, "how many such sets")->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  auto colon = node.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "error: NODE must be HOST:PORT\n";
    return 2;
  }
  auto host = node.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoi(node.substr(colon + 1)));
  config cfg;
  cfg.load<caf::io::middleman>();
  if (files.enabled()) {
    if (auto err = ooo::storage::transport::check(files, ooo::storage::transport::tls_role::client)) {
      std::cerr << "error: " << caf::to_string(err) << '\n';
      return 2;
    }
    auto pinned = ooo::storage::transport::pin(files);
    if (!pinned) {
      std::cerr << "error: " << caf::to_string(pinned.error()) << '\n';
      return 2;
    }
    if (auto err = ooo::storage::transport::use_tls(cfg, *pinned)) {
      std::cerr << "error: " << caf::to_string(err) << '\n';
      return 2;
    }
  }
  caf::actor_system sys{cfg};
  auto typed = ooo::storage::transport::remote_actor<ooo::storage::store_actor>(sys, host, port);
  if (!typed) {
    std::cerr << "error: no connection: " << sys.render(typed.error()) << '\n';
    return 3;
  }
  // The typed handle would not let us send a `lying_value`.
  auto store = caf::actor_cast<caf::actor>(*typed);
  caf::scoped_actor self{sys};
  for (int i = 0; i < count; ++i) {
    self
      ->request(store, 2s, ooo::storage::set_atom::value, "huge/" + std::to_string(i),
                lying_value{}, ooo::storage::write_options{})
      .receive([](const ooo::storage::receipt&) { std::cout << "set: stored" << std::endl; },
               [&](caf::error& err) {
                 if (err == caf::sec::request_timeout)
                   std::cout << "set: no answer" << std::endl;
                 else
                   std::cout << "set: error: " << sys.render(err) << std::endl;
               });
  }
  bool answered = false;
  self->request(store, 5s, ooo::storage::active_atom::value)
    .receive(
      [&](bool active) {
        answered = true;
        std::cout << "active: " << (active ? "true" : "false") << std::endl;
      },
      [&](caf::error& err) { std::cout << "active: error: " << sys.render(err) << std::endl; });
  return answered ? 0 : 1;
}
