#include "messages/errc.hpp"


namespace ooo::storage {

namespace {

struct entry {
  errc code;
  const char* name;
  const char* text;
};

constexpr entry entries[] = {
#define OOO_STORAGE_ERRC_ENTRY(name, number, text) {errc::name, #name, text},
  OOO_STORAGE_ERRC(OOO_STORAGE_ERRC_ENTRY)
#undef OOO_STORAGE_ERRC_ENTRY
};

const entry* find(errc x) {
  for (auto& e : entries)
    if (e.code == x)
      return &e;
  return nullptr;
}

} // namespace

const char* to_string(errc x) {
  auto e = find(x);
  return e ? e->name : "unknown";
}

const char* describe(errc x) {
  auto e = find(x);
  return e ? e->text : "an unknown error code";
}

bool from_string(const std::string& name, errc& x) {
  for (auto& e : entries)
    if (name == e.name) {
      x = e.code;
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
