// Clears OpenSSL's per-thread error queue before every TLS I/O call that CAF 0.17's OpenSSL
// module makes, by defining SSL_read, SSL_write, SSL_accept and SSL_connect in the program: the
// dynamic linker binds libcaf_openssl's calls to these definitions, which forward to libssl's.
//
// Why (an exception to "use the library as it is"): OpenSSL requires the thread's error queue
// to be empty before an I/O call, because SSL_get_error() reports any queued error as
// SSL_ERROR_SSL. CAF 0.17 never clears it: it drains the queue only inside log statements, which
// Debian's build compiles out. All connections share the multiplexer thread, so one peer that
// fails (a client without a certificate, a client that closes without TLS close_notify) leaves
// an error behind, and the next connection whose read would block (SSL_ERROR_WANT_READ) is
// closed as failed: a healthy subscriber dropped because an outsider knocked. Measured with
// tests/process/tls.py (`live_connection_survives_failing_peers`). CAF 0.18 rewrote this code.

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "transport/openssl_error_queue.hpp"

namespace {

/// libssl's definition of `name`: the next one after this program's in lookup order.
template <class F>
F libssl_definition(const char* name) {
  auto f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (f == nullptr) {
    std::fprintf(stderr, "fatal: cannot find libssl's %s: %s\n", name, dlerror());
    std::abort();
  }
  return f;
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto next = libssl_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return next(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto next = libssl_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return next(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static const auto next = libssl_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return next(ssl);
}

int SSL_connect(SSL* ssl) {
  static const auto next = libssl_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return next(ssl);
}

} // extern "C"

namespace ooo::storage::transport {

bool openssl_error_queue_guarded() {
  // What libcaf_openssl's calls resolve to: this file's definitions, unless the program was
  // linked in a way that binds them to libssl directly (static linking, -Bsymbolic).
  return dlsym(RTLD_DEFAULT, "SSL_read") == reinterpret_cast<void*>(&SSL_read)
         && dlsym(RTLD_DEFAULT, "SSL_write") == reinterpret_cast<void*>(&SSL_write)
         && dlsym(RTLD_DEFAULT, "SSL_accept") == reinterpret_cast<void*>(&SSL_accept)
         && dlsym(RTLD_DEFAULT, "SSL_connect") == reinterpret_cast<void*>(&SSL_connect);
}

} // namespace ooo::storage::transport
