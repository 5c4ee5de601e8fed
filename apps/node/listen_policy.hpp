#pragma once

#include <string>

#include "caf/actor_system_config.hpp"
#include "caf/error.hpp"

#include "transport/tls_files.hpp"

namespace ooo::storage {

/// True if `host` is a loopback address (`127.0.0.0/8`, `::1`) or the name `localhost`. Any
/// other name counts as reachable from elsewhere, since what it resolves to may change.
bool is_loopback(const std::string& host);

/// The node's secure defaults, checked before it listens. Refuses (the error names the option):
/// - plain TCP on an address that is not loopback, unless `insecure` says so explicitly;
/// - `--insecure` together with TLS (it would mean nothing);
/// - CAF's `openssl.*` file options given directly (`--tls-cert/--tls-key/--tls-ca` set them, and
///   set without the module they would silently leave the port plain);
/// - `middleman.enable-automatic-connections`: it opens a second, plain port on every interface;
/// - TLS files that do not fit together (`transport::check`);
/// - heartbeat settings that would cut off healthy peers (`transport::check_heartbeats`).
caf::error check_listen_policy(const std::string& host, const transport::tls_files& tls,
                               bool insecure, const caf::actor_system_config& cfg);

} // namespace ooo::storage
