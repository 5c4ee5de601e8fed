#include "transport/network.hpp"

#include "caf/settings.hpp"

#include "transport/openssl_error_queue.hpp"

namespace ooo::storage::transport {

namespace {

constexpr const char* heartbeat_key = "middleman.heartbeat-interval";
constexpr const char* timeout_key = "middleman.connection-timeout";

bool has(const caf::actor_system_config& cfg, const char* key) {
  return caf::get_if(&caf::content(cfg), key) != nullptr;
}

} // namespace

void use_heartbeats(caf::actor_system_config& cfg) {
  if (!has(cfg, heartbeat_key))
    cfg.set(heartbeat_key, default_heartbeat_interval);
  if (!has(cfg, timeout_key))
    cfg.set(timeout_key, default_connection_timeout);
}

caf::error check_heartbeats(const caf::actor_system_config& cfg) {
  auto interval = caf::get_or(cfg, heartbeat_key, caf::timespan{0});
  auto timeout = caf::get_or(cfg, timeout_key, caf::timespan{0});
  if (interval.count() < 0 || timeout.count() < 0)
    return caf::make_error(caf::sec::invalid_argument,
                           std::string{"--"} + heartbeat_key + " and --" + timeout_key
                             + " must not be negative");
  if (interval.count() > 0 && timeout.count() > 0 && timeout <= 2 * interval)
    return caf::make_error(caf::sec::invalid_argument,
                           std::string{"--"} + timeout_key + " (" + caf::deep_to_string(timeout)
                             + ") must be 0 or more than twice --" + heartbeat_key + " ("
                             + caf::deep_to_string(interval) + ")");
  return {};
}

caf::error use_tls(caf::actor_system_config& cfg, const tls_files& files) {
  if (!files.enabled())
    return {};
  if (!openssl_error_queue_guarded())
    return caf::make_error(caf::sec::runtime_error,
                           "this program's TLS calls bypass transport/openssl_error_queue.cpp "
                           "(linked statically or with -Bsymbolic?); refusing TLS");
  auto pinned = pin(files);
  if (!pinned)
    return std::move(pinned.error());
  cfg.load<caf::openssl::manager>();
  // CAF's OpenSSL module reads these members (CAF's `openssl.*` options) for every connection.
  cfg.openssl_certificate = pinned->cert;
  cfg.openssl_key = pinned->key;
  cfg.openssl_cafile = pinned->ca;
  cfg.openssl_passphrase = pinned->passphrase;
  return {};
}

bool uses_tls(const caf::actor_system& sys) {
  return sys.has_openssl_manager();
}

const char* transport_name(const caf::actor_system& sys) {
  return uses_tls(sys) ? "TLS" : "plain TCP";
}

caf::io::middleman_actor middleman_actor_of(caf::actor_system& sys) {
  if (uses_tls(sys))
    return sys.openssl_manager().actor_handle();
  return sys.middleman().actor_handle();
}

} // namespace ooo::storage::transport
