#include "apps/node/node_config.hpp"

#include <array>
#include <string_view>

#include "caf/io/middleman.hpp"

#include "apps/node/listen_policy.hpp"
#include "messages/register_types.hpp"
#include "transport/network.hpp"

namespace ooo::storage {

node_config::node_config() {
  opt_group{custom_options_, "global"}
    .add(host, "host", "address to listen on (default 127.0.0.1)")
    .add(port, "port", "TCP port (default 7700; 0 picks a free one)")
    .add(data_dir, "data-dir", "RocksDB directory (default ./data)")
    .add(durability_name, "durability", "sync, async or memory (default sync)")
    .add(shards, "shards", "shard actors (default 0: one per hardware thread, at least 2)")
    .add(tls_cert, "tls-cert", "mutual TLS: this node's certificate (PEM; with --tls-key/-ca)")
    .add(tls_key, "tls-key", "mutual TLS: the private key of --tls-cert (PEM)")
    .add(tls_ca, "tls-ca", "mutual TLS: admit only peers whose certificate this CA signed (PEM)")
    .add(insecure, "insecure", "allow plain TCP on a non-loopback --host (anyone reaching it "
                               "owns the store)");
  opt_group http_options{custom_options_, "global"};
  http.add_options(http_options);
  load<caf::io::middleman>();
  register_types(*this);
  // Idle workers skip CAF's 50 us moderate sleeps and block until work arrives: a request
  // round trip costs ~20 us instead of ~90 us, without idle spinning (bench/README.md). A
  // config file or the command line may still set it.
  set("work-stealing.moderate-poll-attempts", size_t{0});
  transport::use_heartbeats(*this);
}

caf::expected<node_settings> node_config::settings() const {
  node_settings result;
  if (host.empty())
    return caf::make_error(caf::sec::invalid_argument, "--host must not be empty");
  result.host = host;
  if (port < 0 || port > 65535)
    return caf::make_error(caf::sec::invalid_argument,
                           "--port must be in 0..65535, got " + std::to_string(port));
  result.port = static_cast<uint16_t>(port);
  if (data_dir.empty())
    return caf::make_error(caf::sec::invalid_argument, "--data-dir must not be empty");
  result.data_dir = data_dir;
  if (!from_string(durability_name, result.mode))
    return caf::make_error(caf::sec::invalid_argument,
                           "--durability must be sync, async or memory, got '"
                             + durability_name + "'");
  if (shards < 0 || shards > 1024)
    return caf::make_error(caf::sec::invalid_argument,
                           "--shards must be in 0..1024, got " + std::to_string(shards));
  result.shards = static_cast<size_t>(shards);
  result.tls = transport::tls_files{tls_cert, tls_key, tls_ca, openssl_passphrase};
  result.insecure = insecure;
  if (auto err = check_listen_policy(host, result.tls, insecure, *this))
    return err;
  return result;
}

std::vector<std::string> normalize_args(int argc, char** argv) {
  static constexpr std::array<std::string_view, 9> with_value{
    {"--host", "--port", "--data-dir", "--durability", "--shards", "--config", "--tls-cert",
     "--tls-key", "--tls-ca"}};
  std::vector<std::string> result;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" || arg.rfind("--config=", 0) == 0)
      arg.replace(0, 8, "--config-file");
    bool takes_next = false;
    for (auto name : with_value)
      if (argv[i] == name)
        takes_next = true;
    for (auto name : gateway::gateway_config::options_with_value())
      if (argv[i] == name)
        takes_next = true;
    if (takes_next && i + 1 < argc)
      arg += std::string{"="} + argv[++i];
    result.emplace_back(std::move(arg));
  }
  return result;
}

} // namespace ooo::storage
