// Replication's error category and message types: names, libraft codes, the leader hint, and
// the types' round trip through CAF's serializer (what crossing nodes needs).

#define CAF_SUITE replication_errors
#include "caf/test/dsl.hpp"

#include <string>
#include <vector>

#include "caf/all.hpp"

#include "replication/detail/raft_c.hpp"
#include "replication/errc.hpp"
#include "replication/group_settings.hpp"
#include "replication/node_status.hpp"
#include "replication/register_types.hpp"

using namespace ooo::storage::replication;

namespace {

struct config : caf::actor_system_config {
  config() {
    register_types(*this);
  }
};

template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  CAF_REQUIRE_EQUAL(sink(x), caf::none);
  T y;
  caf::binary_deserializer source{sys, buf};
  CAF_REQUIRE_EQUAL(source(y), caf::none);
  return y;
}

} // namespace

CAF_TEST(every error has a name that parses back) {
  for (uint8_t code = 0; code <= static_cast<uint8_t>(errc::raft_failed); ++code) {
    auto x = static_cast<errc>(code);
    std::string name = to_string(x);
    CAF_CHECK_NOT_EQUAL(name, "unknown");
    CAF_CHECK_NOT_EQUAL(std::string{describe(x)}, "unknown error");
    errc y = errc::none;
    CAF_CHECK(from_string(name, y));
    CAF_CHECK(x == y);
  }
  errc y = errc::none;
  CAF_CHECK(!from_string("no_such_error", y));
  CAF_CHECK_EQUAL(std::string{to_string(static_cast<errc>(200))}, "unknown");
}

CAF_TEST(libraft codes map to errors that a caller can act on) {
  CAF_CHECK(!from_raft_code(0, ""));
  CAF_CHECK(is(from_raft_code(RAFT_NOTLEADER, ""), errc::not_leader));
  CAF_CHECK(is(from_raft_code(RAFT_LEADERSHIPLOST, ""), errc::leadership_lost));
  CAF_CHECK(is(from_raft_code(RAFT_SHUTDOWN, ""), errc::shutting_down));
  CAF_CHECK(is(from_raft_code(RAFT_CANTCHANGE, ""), errc::change_in_progress));
  CAF_CHECK(is(from_raft_code(RAFT_DUPLICATEID, ""), errc::bad_member));
  auto io = from_raft_code(RAFT_IOERR, "disk full-ish");
  CAF_CHECK(is(io, errc::io_failed));
  CAF_CHECK_EQUAL(render(io), "io_failed: I/O error (disk full-ish)");
  CAF_CHECK(is(from_raft_code(RAFT_TOOBIG, ""), errc::raft_failed));
}

CAF_TEST(not_leader names the leader and renders by name on a registered system) {
  config cfg;
  caf::actor_system sys{cfg};
  auto err = make_not_leader(2, "127.0.0.1:9002");
  auto hint = leader_of(err);
  CAF_CHECK_EQUAL(hint.id, 2u);
  CAF_CHECK_EQUAL(hint.address, "127.0.0.1:9002");
  CAF_CHECK_EQUAL(sys.render(err), "not_leader: leader 2 at 127.0.0.1:9002");
  CAF_CHECK_EQUAL(sys.render(make_not_leader(0, "")), "not_leader: leader unknown");
  CAF_CHECK_EQUAL(leader_of(make_error(errc::io_failed, "x")).id, 0u);
  CAF_CHECK_EQUAL(sys.render(make_error(errc::unknown_group, "group 9")),
                  "unknown_group: group 9");
}

CAF_TEST(settings and status survive serialization) {
  config cfg;
  caf::actor_system sys{cfg};
  group_settings s;
  s.group = 42;
  s.node.id = 3;
  s.node.address = "10.0.0.3:7800";
  s.node.data_dir = "raft/42";
  s.node.election_timeout = std::chrono::milliseconds{1500};
  s.node.snapshot_threshold = 99;
  s.initial_members = {member{1, "10.0.0.1:7800"}, member{3, "10.0.0.3:7800",
                                                          member_role::standby}};
  s.max_pending = 7;
  auto t = round_trip(sys, s);
  CAF_CHECK_EQUAL(t.group, 42u);
  CAF_CHECK_EQUAL(t.node.address, "10.0.0.3:7800");
  CAF_CHECK_EQUAL(t.node.election_timeout.count(), 1500);
  CAF_CHECK_EQUAL(t.node.snapshot_threshold, 99u);
  CAF_CHECK_EQUAL(t.initial_members, s.initial_members);
  CAF_CHECK_EQUAL(t.max_pending, 7u);
  node_status st;
  st.role = node_role::leader;
  st.leader_id = 3;
  st.leader_address = "10.0.0.3:7800";
  st.term = 5;
  st.applied = 1234;
  st.members = s.initial_members;
  st.last_failure = "snapshot_failed: x";
  auto u = round_trip(sys, st);
  CAF_CHECK(u.role == node_role::leader);
  CAF_CHECK_EQUAL(u.leader_address, st.leader_address);
  CAF_CHECK_EQUAL(u.term, 5u);
  CAF_CHECK_EQUAL(u.applied, 1234u);
  CAF_CHECK_EQUAL(u.members, st.members);
  CAF_CHECK_EQUAL(u.last_failure, st.last_failure);
}
