#define CAF_SUITE group_log
#include "caf/test/dsl.hpp"

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "cluster/applied_position.hpp"
#include "cluster/log_entry.hpp"
#include "cluster/member_list.hpp"
#include "messages/errc.hpp"
#include "persistence/rocksdb_adapter.hpp"

// What a replicated group writes into its Raft log and next to its data: the log entries, the
// applied position (and the adapter's part in keeping it), the member list of the command line.

using namespace ooo::storage;
using namespace ooo::storage::cluster;

namespace {

change put(std::string key, std::string data, bool visible = true) {
  change ch;
  ch.key = key;
  ch.put = true;
  ch.visible = visible;
  ch.value.path = key;
  ch.value.created = 1'700'000'000'000'000'001;
  ch.value.updated = -5;
  ch.value.data = bytes(data.begin(), data.end());
  return ch;
}

change del(std::string key, bool unit_continues = false) {
  change ch;
  ch.key = key;
  ch.put = false;
  ch.unit_continues = unit_continues;
  ch.value.path = key;
  return ch;
}

bool same(const change& x, const change& y) {
  return x.key == y.key && x.put == y.put && x.visible == y.visible
         && x.unit_continues == y.unit_continues && x.value.created == y.value.created
         && x.value.updated == y.value.updated && x.value.data == y.value.data
         && x.value.path == y.key;
}

bool is_corrupt(const caf::error& err) {
  return is(err, errc::corrupt_record);
}

struct scratch {
  std::filesystem::path dir;
  scratch() {
    auto pattern = (std::filesystem::temp_directory_path() / "ooo-group-log-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

} // namespace

CAF_TEST(a write entry decodes to what was encoded) {
  write_entry x;
  x.group = 7;
  x.decided_in = epoch{12, 3};
  x.incarnation = 0xdeadbeefcafef00d;
  x.proposal = 99;
  std::string binary{"\0\xff\x01 bytes", 9};
  x.commits = {{put("a/1", "{\"n\":1}"), put("a/2", binary, false)},
               {del("b/1", true), del("b/2", true), del("b/3")}};
  auto bytes = encode(x);
  auto decoded = decode_entry(bytes.data(), bytes.size());
  CAF_REQUIRE(decoded);
  auto* y = std::get_if<write_entry>(&*decoded);
  CAF_REQUIRE(y != nullptr);
  CAF_CHECK_EQUAL(y->group, 7u);
  CAF_CHECK(y->decided_in == (epoch{12, 3}));
  CAF_CHECK_EQUAL(y->incarnation, 0xdeadbeefcafef00d);
  CAF_CHECK_EQUAL(y->proposal, 99u);
  CAF_REQUIRE_EQUAL(y->commits.size(), 2u);
  CAF_REQUIRE_EQUAL(y->commits[0].size(), 2u);
  CAF_REQUIRE_EQUAL(y->commits[1].size(), 3u);
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < x.commits[i].size(); ++j) {
      CAF_CHECK(same(y->commits[i][j], x.commits[i][j]));
      CAF_CHECK_EQUAL(y->commits[i][j].value.revision, 0u);
    }
}

CAF_TEST(a leader entry decodes to what was encoded) {
  leader_entry x{1, epoch{4, 2}, "10.0.0.2:7700"};
  auto bytes = encode(x);
  auto decoded = decode_entry(bytes.data(), bytes.size());
  CAF_REQUIRE(decoded);
  auto* y = std::get_if<leader_entry>(&*decoded);
  CAF_REQUIRE(y != nullptr);
  CAF_CHECK_EQUAL(y->group, 1u);
  CAF_CHECK(y->starts == (epoch{4, 2}));
  CAF_CHECK_EQUAL(y->client_address, "10.0.0.2:7700");
}

CAF_TEST(what is not an entry is refused with a reason) {
  write_entry x;
  x.commits = {{put("a/1", "v")}};
  auto good = encode(x);
  CAF_CHECK(is_corrupt(decode_entry(good.data(), 0).error()));
  for (size_t n = 1; n < good.size(); ++n)
    CAF_CHECK(is_corrupt(decode_entry(good.data(), n).error()));
  auto trailing = good;
  trailing.push_back('\0');
  CAF_CHECK(is_corrupt(decode_entry(trailing.data(), trailing.size()).error()));
  // An invalid key (the entry is otherwise well formed).
  write_entry bad = x;
  bad.commits[0][0].key = "a//b";
  auto bad_bytes = encode(bad);
  auto err = decode_entry(bad_bytes.data(), bad_bytes.size()).error();
  CAF_CHECK(is_corrupt(err));
  CAF_CHECK_NOT_EQUAL(render(err).find("a//b"), std::string::npos);
  std::string garbage = "\x93\x01\xa1z\x07";
  CAF_CHECK(is_corrupt(decode_entry(garbage.data(), garbage.size()).error()));
  // A header claiming 2^32 elements must not allocate them.
  std::string huge = "\xdd\xff\xff\xff\xff";
  CAF_CHECK(is_corrupt(decode_entry(huge.data(), huge.size()).error()));
}

CAF_TEST(the applied position round-trips and an empty record is the start) {
  applied_position x;
  x.index = 1234;
  x.revision = 99;
  x.current = epoch{5, 2};
  x.leader_address = "127.0.0.1:7701";
  auto decoded = decode_position(encode(x));
  CAF_REQUIRE(decoded);
  CAF_CHECK_EQUAL(decoded->index, 1234u);
  CAF_CHECK_EQUAL(decoded->revision, 99u);
  CAF_CHECK(decoded->current == (epoch{5, 2}));
  CAF_CHECK_EQUAL(decoded->leader_address, "127.0.0.1:7701");
  auto empty = decode_position("");
  CAF_REQUIRE(empty);
  CAF_CHECK_EQUAL(empty->index, 0u);
  CAF_CHECK(empty->current.empty());
  CAF_CHECK(is_corrupt(decode_position("garbage").error()));
  auto bytes = encode(x);
  CAF_CHECK(is_corrupt(decode_position(bytes.substr(0, bytes.size() - 1)).error()));
}

CAF_TEST(the adapter keeps the position with the batch and out of the records) {
  scratch s;
  auto dir = (s.dir / "db").string();
  std::string position = encode(applied_position{7, 2, epoch{3, 1}, "h:1"});
  {
    auto opened = rocksdb_adapter::open(dir, durability::async);
    CAF_REQUIRE(opened);
    auto& db = **opened;
    std::string stored;
    CAF_REQUIRE(!db.replicated_position(stored));
    CAF_CHECK(stored.empty());
    auto ch = put("k/1", "v");
    ch.value.revision = 2;
    CAF_REQUIRE(!db.write_replicated({ch}, 2, position));
    CAF_REQUIRE(!db.replicated_position(stored));
    CAF_CHECK_EQUAL(stored, position);
    // A checkpoint opens as the same state, position included.
    CAF_REQUIRE(!db.checkpoint((s.dir / "copy").string()));
    CAF_CHECK(is(db.checkpoint((s.dir / "copy").string()), errc::persistence_failed));
    CAF_REQUIRE(!db.close());
  }
  for (auto path : {dir, (s.dir / "copy").string()}) {
    auto opened = rocksdb_adapter::open(path, durability::async);
    CAF_REQUIRE(opened);
    std::vector<object> loaded;
    uint64_t last = 0;
    CAF_REQUIRE(!(*opened)->load([&](object&& x) { loaded.push_back(std::move(x)); }, last));
    CAF_REQUIRE_EQUAL(loaded.size(), 1u);
    CAF_CHECK_EQUAL(loaded[0].path, "k/1");
    CAF_CHECK_EQUAL(last, 2u);
    std::string stored;
    CAF_REQUIRE(!(*opened)->replicated_position(stored));
    CAF_CHECK_EQUAL(stored, position);
  }
}

CAF_TEST(initial members parse and bad ones are named) {
  auto ok = parse_members("1=10.0.0.1:7800,2=host-b:7800,30=127.0.0.1:1");
  CAF_REQUIRE(ok);
  CAF_REQUIRE_EQUAL(ok->size(), 3u);
  CAF_CHECK_EQUAL((*ok)[1].id, 2u);
  CAF_CHECK_EQUAL((*ok)[1].address, "host-b:7800");
  CAF_CHECK_EQUAL((*ok)[2].id, 30u);
  auto text = [](const std::string& in) {
    auto r = parse_members(in);
    return r ? std::string{"ok"} : caf::actor_system_config::render(r.error());
  };
  CAF_CHECK_NOT_EQUAL(text("1:10.0.0.1:7800").find("is not ID=HOST:PORT"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("0=h:1").find("positive number"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("x=h:1").find("positive number"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("1=h").find("'h' is not HOST:PORT"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("1=h:99999").find("is not HOST:PORT"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("1=h:1,1=g:1").find("id 1 is given twice"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("1=h:1,2=h:1").find("h:1 is given twice"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text("").find("is not ID=HOST:PORT"), std::string::npos);
}
