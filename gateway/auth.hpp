#pragma once

#include <string>
#include <string_view>

namespace ooo::storage::gateway {

/// The bearer-token check of `--http-token-file`. Without a token everything is allowed.
///
/// HTTP clients send `Authorization: Bearer TOKEN`. Browsers cannot set headers on a
/// WebSocket, so ooo's clients offer the sub-protocols `bearer` and the token instead
/// (`new WebSocket(url, ["bearer", token])`); the gateway then answers with the `bearer`
/// sub-protocol, as ooo's server does.
class bearer_auth {
public:
  /// An empty token turns the check off.
  explicit bearer_auth(std::string token = {});

  /// True if a token is required.
  bool enabled() const {
    return !token_.empty();
  }

  /// Checks an `Authorization` header value.
  bool allows_header(std::string_view authorization) const;

  /// Checks a `Sec-WebSocket-Protocol` header value (a comma-separated list): it must offer
  /// `bearer` and the token.
  bool allows_protocols(std::string_view offered) const;

  /// True if the client offered the `bearer` sub-protocol (then the answer must select it, or
  /// browsers drop the connection).
  static bool offers_bearer(std::string_view offered);

private:
  /// Compares in time independent of where the strings differ.
  bool matches(std::string_view candidate) const;

  std::string token_;
};

} // namespace ooo::storage::gateway
