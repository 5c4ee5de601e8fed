#include "gateway/target.hpp"

namespace ooo::storage::gateway {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view x, bool plus_is_space) {
  std::string out;
  out.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == '%') {
      if (i + 2 >= x.size())
        return std::nullopt;
      auto hi = hex_digit(x[i + 1]);
      auto lo = hex_digit(x[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (plus_is_space && x[i] == '+') {
      out += ' ';
    } else {
      out += x[i];
    }
  }
  return out;
}

} // namespace

std::optional<std::string> target::param(std::string_view name) const {
  for (auto& [k, v] : query)
    if (k == name)
      return v;
  return std::nullopt;
}

std::optional<target> parse_target(std::string_view raw) {
  if (raw.empty() || raw.front() != '/')
    return std::nullopt;
  auto q = raw.find('?');
  auto path = decode(raw.substr(0, q), false);
  if (!path)
    return std::nullopt;
  target result;
  result.path = std::move(*path);
  if (q == std::string_view::npos)
    return result;
  auto rest = raw.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      auto k = decode(pair.substr(0, eq), true);
      auto v = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1),
                      true);
      if (!k || !v)
        return std::nullopt;
      result.query.emplace_back(std::move(*k), std::move(*v));
    }
    if (amp == std::string_view::npos)
      break;
    rest.remove_prefix(amp + 1);
  }
  return result;
}

} // namespace ooo::storage::gateway
