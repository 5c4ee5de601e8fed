#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ooo::storage::gateway {

/// An HTTP request as the routes see it, independent of the HTTP library.
struct http_request {
  /// `GET`, `POST`, ...
  std::string method;
  /// The request target as sent: path and query, percent-encoded.
  std::string target;
  std::string authorization;
  /// `Sec-WebSocket-Protocol` of an upgrade request.
  std::string protocols;
  std::string body;
};

/// An answer. Every answer carries CORS headers (added by `with_cors`).
struct http_response {
  unsigned status = 200;
  /// Empty: no `Content-Type`.
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A plain-text answer, as ooo writes its errors (`ooo: not found`).
http_response text_answer(unsigned status, std::string text);

/// A JSON answer.
http_response json_answer(unsigned status, std::string body);

/// Adds what ooo's CORS layer adds to every answer: any origin may read it.
void with_cors(http_response& res);

} // namespace ooo::storage::gateway
