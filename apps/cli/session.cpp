#include "apps/cli/session.hpp"

#include <iostream>
#include <set>
#include <thread>

#include "caf/io/middleman.hpp"
#include "caf/node_id.hpp"

#include "apps/cli/exit_code.hpp"
#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "transport/network.hpp"

namespace ooo::storage::cli {

namespace {

/// Errors that mean "the node did not answer" rather than "the store said no".
bool is_unreachable(const caf::error& err) {
  if (err.category() != caf::atom("system"))
    return false;
  switch (static_cast<caf::sec>(err.code())) {
    case caf::sec::request_timeout:
    case caf::sec::request_receiver_down:
    case caf::sec::remote_linking_failed:
    case caf::sec::cannot_connect_to_node:
    case caf::sec::no_actor_published_at_port:
    case caf::sec::unexpected_actor_messaging_interface:
    case caf::sec::no_route_to_receiving_node:
    case caf::sec::incompatible_versions:
    case caf::sec::incompatible_application_ids:
    case caf::sec::disconnect_during_handshake:
    case caf::sec::network_syscall_failed:
    case caf::sec::socket_disconnected:
    case caf::sec::socket_operation_failed:
    case caf::sec::connection_timeout:
    case caf::sec::remote_lookup_failed:
      return true;
    default:
      return false;
  }
}

/// What a failed connection attempt most likely means, for the error message; empty if the
/// error says it already (e.g. nothing listens on the port).
std::string why_no_handshake(const caf::error& err, bool tls) {
  if (err.category() != caf::atom("system"))
    return {};
  switch (static_cast<caf::sec>(err.code())) {
    case caf::sec::disconnect_during_handshake:
      return tls ? " (the TLS handshake failed: the node refused this client's certificate, its "
                   "own certificate is not signed by --tls-ca, or it is not a TLS node)"
                 : " (the node closed the connection during the handshake: a TLS node admits "
                   "only clients with --tls-cert, --tls-key and --tls-ca)";
    case caf::sec::cannot_connect_to_node:
      // CAF's OpenSSL module gives no detail when the handshake fails at once; a refused TCP
      // connection carries its own ("ip_connect failed").
      if (tls && err.context().empty())
        return " (the TLS handshake failed at once: is it a TLS node, and is its certificate "
               "signed by --tls-ca?)";
      return {};
    case caf::sec::request_timeout:
    case caf::sec::connection_timeout: // CAF 0.17's heartbeat ends a handshake that hangs
      return tls ? " (no handshake within the timeout: is it a TLS node?)"
                 : " (no handshake within the timeout; a TLS node does not answer clients "
                   "without --tls-cert, --tls-key and --tls-ca)";
    default:
      return {};
  }
}

} // namespace

session::session(caf::timespan timeout, const transport::tls_files& tls)
  : cfg_(std::make_unique<caf::actor_system_config>()), timeout_(timeout) {
  cfg_->load<caf::io::middleman>();
  setup_error_ = transport::use_tls(*cfg_, tls);
  // A `watch` may sit quietly for hours: the node hears our heartbeats, we notice a dead node.
  transport::use_heartbeats(*cfg_);
  register_types(*cfg_);
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  self_ = std::make_unique<caf::scoped_actor>(*sys_);
}

session::~session() {
  // The blocking actor and the store's proxy go first: the actor system waits for them.
  store_ = nullptr;
  self_.reset();
  sys_.reset();
}

caf::error session::connect(const node_address& addr) {
  addr_ = addr;
  if (setup_error_)
    return setup_error_;
  // What `middleman::remote_actor` does, but with a timeout: it would wait forever for a peer
  // that accepts the connection and never completes CAF's handshake.
  caf::error err;
  caf::strong_actor_ptr ptr;
  std::set<std::string> ifs;
  (*self_)
    ->request(transport::middleman_actor_of(*sys_), timeout_, caf::connect_atom::value,
              addr.host, addr.port)
    .receive(
      [&](caf::node_id&, caf::strong_actor_ptr& x, std::set<std::string>& xs) {
        ptr = std::move(x);
        ifs = std::move(xs);
      },
      [&](caf::error& x) { err = std::move(x); });
  if (err) {
    connect_hint_ = why_no_handshake(err, transport::uses_tls(*sys_));
    return err;
  }
  if (!ptr)
    return caf::make_error(caf::sec::no_actor_published_at_port, addr.port);
  if (!sys_->assignable<store_actor>(ifs))
    return caf::make_error(caf::sec::unexpected_actor_messaging_interface);
  store_ = caf::actor_cast<store_actor>(std::move(ptr));
  return {};
}

caf::error session::connect_any(std::vector<node_address> nodes) {
  nodes_ = std::move(nodes);
  caf::error err;
  for (auto& addr : nodes_) {
    err = connect(addr);
    if (!err)
      return err;
  }
  return err;
}

bool session::connect_next() {
  if (nodes_.size() < 2)
    return false;
  size_t at = 0;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].host == addr_.host && nodes_[i].port == addr_.port)
      at = i;
  for (size_t step = 1; step < nodes_.size(); ++step)
    if (!connect(nodes_[(at + step) % nodes_.size()]))
      return true;
  return false;
}

bool session::retry_elsewhere(const caf::error& err,
                              std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono_literals;
  if (std::chrono::steady_clock::now() >= deadline)
    return false;
  // An election, or a new leader catching up (its store restarts meanwhile: `not_active`),
  // is usually over within a second or two. On a node of its own `not_active` means it is
  // closing: asking again until the timeout changes nothing there.
  if (is(err, errc::unavailable) || (nodes_.size() > 1 && is(err, errc::not_active))) {
    std::this_thread::sleep_for(200ms);
    return true;
  }
  if (!is(err, errc::not_leader))
    return false;
  auto& ctx = err.context();
  std::string hint;
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    hint = ctx.get_as<std::string>(0);
  node_address leader;
  std::string why;
  if (!hint.empty() && hint != addr_.to_string() && parse_node_address(hint, leader, why)
      && !connect(leader))
    return true;
  // No leader named (an election), or it does not answer: the next node may know more.
  if (!connect_next())
    std::this_thread::sleep_for(200ms);
  return true;
}

int session::report(const caf::error& err) {
  if (err.category() == error_category) {
    std::cerr << "error: " << render(err) << std::endl;
    return store_error;
  }
  if (is_unreachable(err)) {
    std::cerr << "error: node " << addr_.to_string() << " unreachable: " << sys_->render(err)
              << connect_hint_ << std::endl;
    return unreachable;
  }
  std::cerr << "error: " << sys_->render(err) << std::endl;
  return store_error;
}

} // namespace ooo::storage::cli
