#include "gateway/auth.hpp"

#include <vector>

namespace ooo::storage::gateway {

namespace {

std::string_view trim(std::string_view x) {
  while (!x.empty() && (x.front() == ' ' || x.front() == '\t'))
    x.remove_prefix(1);
  while (!x.empty() && (x.back() == ' ' || x.back() == '\t'))
    x.remove_suffix(1);
  return x;
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> result;
  while (!list.empty()) {
    auto comma = list.find(',');
    result.push_back(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return result;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

} // namespace

bearer_auth::bearer_auth(std::string token) : token_(std::move(token)) {
  // nop
}

bool bearer_auth::matches(std::string_view candidate) const {
  unsigned char diff = candidate.size() == token_.size() ? 0 : 1;
  for (size_t i = 0; i < token_.size(); ++i) {
    auto c = i < candidate.size() ? candidate[i] : '\0';
    diff |= static_cast<unsigned char>(c ^ token_[i]);
  }
  return diff == 0;
}

bool bearer_auth::allows_header(std::string_view authorization) const {
  if (!enabled())
    return true;
  authorization = trim(authorization);
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()
      || !iequals(authorization.substr(0, scheme.size()), scheme))
    return false;
  return matches(trim(authorization.substr(scheme.size())));
}

bool bearer_auth::offers_bearer(std::string_view offered) {
  for (auto p : split_list(offered))
    if (p == "bearer")
      return true;
  return false;
}

bool bearer_auth::allows_protocols(std::string_view offered) const {
  if (!enabled())
    return true;
  if (!offers_bearer(offered))
    return false;
  for (auto p : split_list(offered))
    if (p != "bearer" && matches(p))
      return true;
  return false;
}

} // namespace ooo::storage::gateway
