#include "transport/tls_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "caf/sec.hpp"

namespace ooo::storage::transport {

namespace {

using ctx_ptr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)>;

caf::error invalid(std::string what) {
  return caf::make_error(caf::sec::invalid_argument, std::move(what));
}

/// The reasons OpenSSL queued for the last failure, oldest first; clears the queue.
std::string openssl_reasons() {
  std::string result;
  while (auto code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (!result.empty())
      result += "; ";
    result += reason != nullptr ? reason : "unknown OpenSSL error";
  }
  return result.empty() ? "unknown OpenSSL error" : result;
}

/// Says why `path` cannot be opened for reading, or nothing.
std::string unreadable(const std::string& path) {
  std::ifstream in{path};
  if (in)
    return {};
  return std::strerror(errno);
}

int passphrase_callback(char* buf, int size, int, void* user) {
  auto& passphrase = *static_cast<const std::string*>(user);
  if (size <= 0 || passphrase.size() >= static_cast<size_t>(size))
    return 0;
  std::memcpy(buf, passphrase.data(), passphrase.size());
  return static_cast<int>(passphrase.size());
}

} // namespace

caf::error check(const tls_files& files, tls_role role) {
  if (!files.enabled())
    return {};
  std::vector<std::string> missing;
  if (files.cert.empty())
    missing.emplace_back("--tls-cert");
  if (files.key.empty())
    missing.emplace_back("--tls-key");
  if (files.ca.empty())
    missing.emplace_back("--tls-ca");
  if (!missing.empty()) {
    std::string names;
    for (auto& x : missing)
      names += (names.empty() ? "" : ", ") + x;
    return invalid("--tls-cert, --tls-key and --tls-ca go together; missing: " + names);
  }
  const std::pair<const char*, const std::string*> all[] = {
    {"--tls-cert", &files.cert}, {"--tls-key", &files.key}, {"--tls-ca", &files.ca}};
  for (auto& [option, path] : all)
    if (auto why = unreadable(*path); !why.empty())
      return invalid(std::string{option} + " " + *path + ": cannot read the file: " + why);
  ERR_clear_error();
  ctx_ptr ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return invalid("cannot create an OpenSSL context: " + openssl_reasons());
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1)
    return invalid("--tls-ca " + files.ca + ": no PEM certificate in it ("
                   + openssl_reasons() + ")");
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1)
    return invalid("--tls-cert " + files.cert + ": no PEM certificate in it ("
                   + openssl_reasons() + ")");
  if (!files.passphrase.empty()) {
    SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_callback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), const_cast<std::string*>(&files.passphrase));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return invalid("--tls-key " + files.key + " does not belong to --tls-cert " + files.cert);
    }
    return invalid("--tls-key " + files.key + ": no usable PEM private key in it ("
                   + openssl_reasons() + ")");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return invalid("--tls-key " + files.key + " does not belong to --tls-cert " + files.cert);
  // The same verification a peer will do: chain to the CA, dates, purpose.
  store_ctx_ptr verify{X509_STORE_CTX_new(), X509_STORE_CTX_free};
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx.get(), &chain);
  if (!verify
      || X509_STORE_CTX_init(verify.get(), SSL_CTX_get_cert_store(ctx.get()),
                             SSL_CTX_get0_certificate(ctx.get()), chain)
           != 1)
    return invalid("cannot verify --tls-cert " + files.cert + ": " + openssl_reasons());
  X509_STORE_CTX_set_purpose(verify.get(), role == tls_role::node ? X509_PURPOSE_SSL_SERVER
                                                                   : X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(verify.get()) != 1) {
    auto code = X509_STORE_CTX_get_error(verify.get());
    std::string why = X509_verify_cert_error_string(code);
    if (code == X509_V_ERR_INVALID_PURPOSE)
      why += role == tls_role::node ? " (not a node's certificate: it lacks serverAuth)"
                                    : " (not a client's certificate: it lacks clientAuth)";
    ERR_clear_error();
    return invalid("--tls-cert " + files.cert + " is not accepted with --tls-ca " + files.ca
                   + ": " + why);
  }
  return {};
}

caf::expected<tls_files> pin(const tls_files& files) {
  if (!files.enabled())
    return files;
  auto pin_one = [](const std::string& path, std::string& pinned) -> caf::error {
    std::ifstream in{path, std::ios::binary};
    std::string content{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (!in && !in.eof())
      return invalid(path + ": cannot read the file: " + std::strerror(errno));
    // Closed on exec, never on disk; the key stays readable only by this process.
    int fd = memfd_create("ooo-storage-tls", MFD_CLOEXEC);
    if (fd < 0)
      return invalid(std::string{"cannot create an in-memory copy of "} + path + ": "
                     + std::strerror(errno));
    size_t written = 0;
    while (written < content.size()) {
      auto n = ::write(fd, content.data() + written, content.size() - written);
      if (n < 0) {
        auto why = std::strerror(errno);
        ::close(fd);
        return invalid(std::string{"cannot copy "} + path + " into memory: " + why);
      }
      written += static_cast<size_t>(n);
    }
    // Deliberately never closed: CAF opens the path for every connection until the end.
    pinned = "/proc/self/fd/" + std::to_string(fd);
    return {};
  };
  tls_files result = files;
  if (auto err = pin_one(files.cert, result.cert))
    return err;
  if (auto err = pin_one(files.key, result.key))
    return err;
  if (auto err = pin_one(files.ca, result.ca))
    return err;
  return result;
}

} // namespace ooo::storage::transport
