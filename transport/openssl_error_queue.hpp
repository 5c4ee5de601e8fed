#pragma once

namespace ooo::storage::transport {

/// True if CAF's TLS calls in this program go through the definitions in
/// `openssl_error_queue.cpp`, which clear OpenSSL's error queue first (see there: without them
/// one failing peer gets the next live TLS connection closed). `use_tls` refuses TLS otherwise.
bool openssl_error_queue_guarded();

} // namespace ooo::storage::transport
