#include "replication/errc.hpp"

#include <array>

#include "caf/make_message.hpp"

#include "replication/detail/raft_c.hpp"

namespace ooo::storage::replication {

namespace {

struct error_entry {
  errc code;
  const char* name;
  const char* text;
};

constexpr std::array entries{
#define OOO_REPLICATION_ENTRY(name, number, text) error_entry{errc::name, #name, text},
  OOO_REPLICATION_ERRORS(OOO_REPLICATION_ENTRY)
#undef OOO_REPLICATION_ENTRY
};

const error_entry* find(errc x) {
  for (auto& entry : entries)
    if (entry.code == x)
      return &entry;
  return nullptr;
}

} // namespace

const char* to_string(errc x) {
  auto entry = find(x);
  return entry ? entry->name : "unknown";
}

const char* describe(errc x) {
  auto entry = find(x);
  return entry ? entry->text : "unknown error";
}

bool from_string(const std::string& name, errc& x) {
  for (auto& entry : entries)
    if (name == entry.name) {
      x = entry.code;
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

caf::error make_not_leader(uint64_t leader_id, std::string leader_address) {
  return caf::error{static_cast<uint8_t>(errc::not_leader), error_category,
                    caf::make_message(std::move(leader_address), leader_id)};
}

caf::error from_raft_code(int code, std::string message) {
  auto with_code = [&](errc x) {
    auto detail = std::string{raft_strerror(code)};
    if (!message.empty() && message != detail)
      detail += " (" + message + ")";
    return make_error(x, std::move(detail));
  };
  switch (code) {
    case 0:
      return caf::error{};
    case RAFT_NOTLEADER:
      return make_not_leader(0, "");
    case RAFT_LEADERSHIPLOST:
      return make_error(errc::leadership_lost);
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
      return make_error(errc::shutting_down);
    case RAFT_CANTCHANGE:
      return with_code(errc::change_in_progress);
    case RAFT_BADID:
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
    case RAFT_BADROLE:
    case RAFT_NOTFOUND:
      return with_code(errc::bad_member);
    case RAFT_IOERR:
    case RAFT_NOSPACE:
    case RAFT_CORRUPT:
    case RAFT_NOCONNECTION:
    case RAFT_UNAUTHORIZED:
    case RAFT_NAMETOOLONG:
      return with_code(errc::io_failed);
    default:
      return with_code(errc::raft_failed);
  }
}

leader_hint leader_of(const caf::error& err) {
  leader_hint hint;
  if (is(err, errc::not_leader) && err.context().match_elements<std::string, uint64_t>()) {
    hint.address = err.context().get_as<std::string>(0);
    hint.id = err.context().get_as<uint64_t>(1);
  }
  return hint;
}

std::string render(uint8_t code, const caf::message& context) {
  std::string out = to_string(static_cast<errc>(code));
  if (context.match_elements<std::string>()) {
    out += ": ";
    out += context.get_as<std::string>(0);
  } else if (context.match_elements<std::string, uint64_t>()) {
    auto& address = context.get_as<std::string>(0);
    auto id = context.get_as<uint64_t>(1);
    out += id == 0 ? std::string{": leader unknown"}
                   : ": leader " + std::to_string(id) + " at " + address;
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

} // namespace ooo::storage::replication
