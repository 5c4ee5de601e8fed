#include "apps/node/listen_policy.hpp"

#include <boost/asio/ip/address.hpp>

#include "caf/sec.hpp"

#include "transport/network.hpp"

namespace ooo::storage {

namespace {

caf::error invalid(std::string what) {
  return caf::make_error(caf::sec::invalid_argument, std::move(what));
}

} // namespace

bool is_loopback(const std::string& host) {
  if (host == "localhost")
    return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

caf::error check_listen_policy(const std::string& host, const transport::tls_files& tls,
                               bool insecure, const caf::actor_system_config& cfg) {
  const std::pair<const char*, const std::string*> direct[] = {
    {"openssl.certificate", &cfg.openssl_certificate},
    {"openssl.key", &cfg.openssl_key},
    {"openssl.cafile", &cfg.openssl_cafile},
    {"openssl.capath", &cfg.openssl_capath}};
  for (auto& [name, value] : direct)
    if (!value->empty())
      return invalid(std::string{"set TLS with --tls-cert, --tls-key and --tls-ca (tls-cert=... "
                                 "in [global]), not with "}
                     + name);
  if (caf::get_or(cfg, "middleman.enable-automatic-connections", false))
    return invalid("middleman.enable-automatic-connections must stay off: it opens a second, "
                   "plain TCP port on every interface, next to the node's port");
  if (tls.enabled()) {
    if (insecure)
      return invalid("--insecure allows plain TCP on a non-loopback address; it makes no sense "
                     "together with --tls-cert/--tls-key/--tls-ca");
    if (auto err = transport::check(tls, transport::tls_role::node))
      return err;
  } else if (!is_loopback(host) && !insecure) {
    return invalid("--host " + host
                   + " is not a loopback address: without TLS anyone who reaches it could read, "
                     "write and delete every key. Give --tls-cert, --tls-key and --tls-ca (see "
                     "deploy/make-certs.sh), or --insecure to listen in plain TCP anyway");
  }
  return transport::check_heartbeats(cfg);
}

} // namespace ooo::storage
