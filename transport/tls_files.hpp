#pragma once

#include <string>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace ooo::storage::transport {

/// Which end of a connection a certificate is for: OpenSSL checks a node's certificate for the
/// purpose "TLS server" and a client's for "TLS client" (the extended key usage).
enum class tls_role {
  /// `ooo-storaged`: accepts connections.
  node,
  /// Everything that connects to a node: the CLI, the example, tests, benchmarks.
  client,
};

/// The PEM files of mutual TLS, as given by `--tls-cert`, `--tls-key` and `--tls-ca`. All three
/// empty: plain TCP. All three set: mutual TLS; each side shows `cert` and accepts only a peer
/// whose certificate chains to `ca` (CAF 0.17 checks no host name).
struct tls_files {
  /// This side's certificate (chain), PEM.
  std::string cert;
  /// The private key of `cert`, PEM; unencrypted unless `passphrase` is set.
  std::string key;
  /// The CA certificate(s) a peer's certificate must chain to, PEM.
  std::string ca;
  /// Decrypts `key` (CAF's `openssl.passphrase`); empty for an unencrypted key.
  std::string passphrase;

  /// True if any of the three files is set (then `check` insists on all three).
  bool enabled() const {
    return !cert.empty() || !key.empty() || !ca.empty();
  }
};

/// Loads the files the way CAF's OpenSSL module will and checks that they fit together: all
/// three given, each readable PEM, the key belongs to the certificate, and the certificate
/// chains to the CA, is within its validity period and may serve `role`. The error (category
/// `system`, `invalid_argument`) names the option and the file, e.g. `--tls-key client.key
/// does not belong to --tls-cert node.pem`. Returns no error for plain TCP (nothing set).
///
/// Why before start-up: CAF 0.17 reads these files again for every connection and throws from
/// its network thread when one fails to load, which ends the process.
caf::error check(const tls_files& files, tls_role role);

/// Copies the three files into anonymous in-memory files of this process and returns their
/// paths (`/proc/self/fd/N`), so that CAF, which reads the files again for every connection,
/// sees what was checked at start-up. Without this, a certificate or key file that is deleted,
/// truncated or half-written while the program runs makes CAF 0.17 throw from its network
/// thread at the next connection, which aborts the process. The price: new files take effect
/// at the next start. Returns `files` unchanged for plain TCP.
caf::expected<tls_files> pin(const tls_files& files);

} // namespace ooo::storage::transport
