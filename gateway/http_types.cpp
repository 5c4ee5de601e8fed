#include "gateway/http_types.hpp"

namespace ooo::storage::gateway {

http_response text_answer(unsigned status, std::string text) {
  http_response res;
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.body = std::move(text);
  return res;
}

http_response json_answer(unsigned status, std::string body) {
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::move(body);
  return res;
}

void with_cors(http_response& res) {
  res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  res.headers.emplace_back("Vary", "Origin");
}

} // namespace ooo::storage::gateway
