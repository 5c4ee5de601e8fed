#include "messages/errc.hpp"

#include <array>

namespace ooo::storage {

namespace {

constexpr std::array<const char*, 17> names{{
  "none", "not_found", "invalid_path", "glob_not_allowed", "glob_required", "invalid_data",
  "invalid_range", "invalid_limit", "cant_lock_glob", "lock_not_found", "not_active",
  "persistence_failed", "corrupt_record", "too_large", "conflict", "compacted",
  "limit_exceeded",
}};

} // namespace

const char* to_string(errc x) {
  auto i = static_cast<size_t>(x);
  return i < names.size() ? names[i] : "unknown";
}

bool from_string(const std::string& name, errc& x) {
  for (size_t i = 0; i < names.size(); ++i)
    if (name == names[i]) {
      x = static_cast<errc>(i);
      return true;
    }
  return false;
}

caf::error make_error(errc x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(detail))};
}

caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), error_category};
}

std::string render(uint8_t code, const caf::message& context) {
  std::string out = to_string(static_cast<errc>(code));
  if (context.size() == 1 && context.match_element<std::string>(0)) {
    out += ": ";
    out += context.get_as<std::string>(0);
  }
  return out;
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() != error_category)
    return to_string(err);
  return render(err.code(), err.context());
}

} // namespace ooo::storage
