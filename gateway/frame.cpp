#include "gateway/frame.hpp"

#include <charconv>

namespace ooo::storage::gateway {

std::string version_text(uint64_t version) {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), version, 16);
  static_cast<void>(ec); // 16 hex digits always fit
  return std::string(buf, end);
}

std::optional<uint64_t> parse_version(std::string_view text) {
  if (text.empty() || text.size() > 16)
    return std::nullopt;
  uint64_t result = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), result, 16);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return result;
}

std::string frame(bool snapshot, uint64_t version, std::string_view data_json) {
  std::string out;
  out.reserve(data_json.size() + 56);
  out += snapshot ? R"({"snapshot":true,"version":")" : R"({"snapshot":false,"version":")";
  out += version_text(version);
  out += R"(","data":)";
  out += data_json;
  out += '}';
  return out;
}

} // namespace ooo::storage::gateway
