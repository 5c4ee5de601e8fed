#include "gateway/request_body.hpp"

#include <nlohmann/json.hpp>

namespace ooo::storage::gateway {

namespace {

using json = nlohmann::ordered_json;

std::string_view trim(std::string_view x) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!x.empty() && is_space(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && is_space(x.back()))
    x.remove_suffix(1);
  return x;
}

/// Parses one JSON value; on failure returns a discarded value and says why in `error`.
json parse(std::string_view text, std::string& error) {
  if (trim(text).empty()) {
    error = "ooo: invalid JSON: empty body";
    return json(json::value_t::discarded);
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    error = std::string{"ooo: invalid JSON: "} + e.what();
    return json(json::value_t::discarded);
  }
}

} // namespace

checked_body check_json_body(std::string_view body) {
  checked_body result;
  auto value = trim(body);
  if (value.empty()) {
    result.error = "ooo: invalid JSON: empty body";
    return result;
  }
  if (!json::accept(value.begin(), value.end())) {
    parse(value, result.error); // only for the message naming where it fails
    return result;
  }
  result.value = bytes(value.begin(), value.end());
  return result;
}

checked_body merge_json(const bytes& current, std::string_view patch) {
  checked_body result;
  auto delta = parse(patch, result.error);
  if (delta.is_discarded())
    return result;
  if (current.empty() || !json::accept(current.begin(), current.end())) {
    result.error = "ooo: the stored value is not JSON, so a merge patch cannot apply to it";
    return result;
  }
  auto merged = json::parse(current.begin(), current.end());
  merged.merge_patch(delta);
  auto text = merged.dump(-1, ' ', false, json::error_handler_t::replace);
  result.value = bytes(text.begin(), text.end());
  return result;
}

} // namespace ooo::storage::gateway
