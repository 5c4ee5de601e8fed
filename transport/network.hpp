#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"
#include "caf/io/middleman.hpp"
#include "caf/io/middleman_actor.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/openssl/remote_actor.hpp"

#include "transport/tls_files.hpp"

namespace ooo::storage::transport {

/// A node sends every connected peer a heartbeat this often (CAF's
/// `middleman.heartbeat-interval`; off by default in CAF 0.17).
inline constexpr caf::timespan default_heartbeat_interval = std::chrono::seconds{5};

/// A peer from which nothing (not even a heartbeat) arrived for this long is declared dead: its
/// connection is closed, its proxies die, monitors get `down_msg` (so the store drops its
/// subscriptions and locks). CAF's `middleman.connection-timeout`; off by default in CAF 0.17.
/// Six heartbeats long, so a busy node is not mistaken for a dead one.
inline constexpr caf::timespan default_connection_timeout = std::chrono::seconds{30};

/// Turns on heartbeats and the connection timeout with the defaults above, unless `cfg` already
/// has a value for them. Call before the actor system is built, before or after `parse`: a
/// config file or the command line wins either way. Every side must send heartbeats: a peer that sends none is cut
/// off after `connection-timeout` of silence.
void use_heartbeats(caf::actor_system_config& cfg);

/// Checks the heartbeat settings of `cfg`: with heartbeats on, a connection timeout must be 0
/// (off) or more than twice the heartbeat interval, else healthy peers are cut off. The error
/// names both options. (Without heartbeats CAF ignores the timeout.)
caf::error check_heartbeats(const caf::actor_system_config& cfg);

/// With TLS (`files.enabled()`): loads CAF's OpenSSL module and hands it in-memory copies of
/// `files` (`pin`; CAF's `openssl.certificate`, `openssl.key`, `openssl.cafile`,
/// `openssl.passphrase`), so every connection made through `middleman_actor_of` is mutual TLS
/// with the files as they were at start-up. Without: nothing. Call once,
/// after `check(files, ...)` passed and before the actor system is built; the middleman must be
/// loaded too. Fails only if the program was linked so that the workaround in
/// `openssl_error_queue.cpp` is not in effect (then live TLS connections would be dropped
/// whenever another peer fails).
caf::error use_tls(caf::actor_system_config& cfg, const tls_files& files);

/// True if `sys` was configured by `use_tls` with TLS.
bool uses_tls(const caf::actor_system& sys);

/// "TLS" or "plain TCP", for log lines and error messages.
const char* transport_name(const caf::actor_system& sys);

/// The middleman actor that connects and publishes over `sys`'s transport: CAF's OpenSSL one
/// with TLS, the plain one without. Both feed the same BASP broker.
caf::io::middleman_actor middleman_actor_of(caf::actor_system& sys);

/// Publishes `whom` on `port` at address `in` (nullptr: every interface) over `whom`'s system's
/// transport; returns the bound port. Never opens a second port of the other kind.
template <class Handle>
caf::expected<uint16_t> publish(const Handle& whom, uint16_t port, const char* in) {
  if (uses_tls(whom.home_system()))
    return caf::openssl::publish(whom, port, in, true);
  return whom.home_system().middleman().publish(whom, port, in, true);
}

/// Connects to the actor published at `host:port` over `sys`'s transport. Like CAF's own
/// `remote_actor`, it has no timeout: a peer that accepts TCP but never completes the handshake
/// (for example a TLS node reached without TLS) makes it wait forever, so callers bound it.
template <class Handle>
caf::expected<Handle> remote_actor(caf::actor_system& sys, std::string host, uint16_t port) {
  if (uses_tls(sys))
    return caf::openssl::remote_actor<Handle>(sys, std::move(host), port);
  return sys.middleman().remote_actor<Handle>(std::move(host), port);
}

} // namespace ooo::storage::transport
