// Writes the seed corpus of the fuzz targets: a few valid encodings of each input kind.
//   make_seeds DIR  ->  DIR/fuzz_record/*, DIR/fuzz_messages/*  (fuzz_key's seeds are text files
//   written by hand)
// The committed corpus under tests/fuzz/corpus/ is this program's output.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/binary_serializer.hpp"
#include "caf/make_message.hpp"

#include "messages/atoms.hpp"
#include "messages/errc.hpp"
#include "messages/object.hpp"
#include "messages/register_types.hpp"
#include "persistence/record_codec.hpp"

using namespace ooo::storage;

namespace {

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out{path, std::ios::binary};
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out)
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
}

object sample(std::string path, std::string data) {
  object x;
  x.created = 1'700'000'000'123'456'789;
  x.updated = 1'700'000'001'000'000'000;
  x.revision = 42;
  x.path = std::move(path);
  x.data.assign(data.begin(), data.end());
  return x;
}

/// Selector byte (the type's case in fuzz_messages.cpp) followed by the serialized value.
template <class T>
void write_message(caf::actor_system& sys, const std::string& path, char selector, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(x)) {
    std::fprintf(stderr, "cannot serialize %s: %s\n", path.c_str(), to_string(err).c_str());
    return;
  }
  std::string content(1, selector);
  content.append(buf.begin(), buf.end());
  write_file(path, content);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  auto a = sample("users/123", R"({"name":"ada"})");
  auto b = sample("b", "x");
  b.updated = 0;
  b.revision = 1;
  // fuzz_record: records, metadata, history entries.
  auto rec = dir + "/fuzz_record/";
  write_file(rec + "record", encode_record(a));
  write_file(rec + "record_small", encode_record(b));
  write_file(rec + "meta_0", encode_meta(0));
  write_file(rec + "meta_big", encode_meta(1ull << 40));
  change set_change{"users/123", true, a, true};
  change del_change{"users/9", false, object{}, true};
  write_file(rec + "history_set", encode_history(set_change, 7));
  write_file(rec + "history_del", encode_history(del_change, 9));
  // fuzz_messages: one of each type, plus whole messages as the store receives them.
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  auto msg = dir + "/fuzz_messages/";
  write_message(sys, msg + "msg_set", 0,
                caf::make_message(set_atom::value, std::string{"users/1"}, a.data,
                                  write_options{}));
  write_message(sys, msg + "msg_push", 0,
                caf::make_message(push_atom::value, std::string{"users/*"}, a.data));
  write_message(sys, msg + "msg_list", 0,
                caf::make_message(list_atom::value, std::string{"users/*"},
                                  list_options{true, 1, 10, 5, 6}));
  write_message(sys, msg + "msg_subscribe", 0,
                caf::make_message(caf::subscribe_atom::value, std::string{"users/*"},
                                  caf::actor{}, subscribe_options{true, 3, watch_mode::lossless}));
  write_message(sys, msg + "msg_event", 0,
                caf::make_message(event{9, "users/123", event_op::set, a}));
  write_message(sys, msg + "msg_error", 0,
                caf::make_message(make_error(errc::invalid_path, "a//b")));
  write_message(sys, msg + "object", 1, a);
  write_message(sys, msg + "write_options", 2, write_options{1, 2, true, 4, false, 5});
  write_message(sys, msg + "list_options", 3, list_options{false, 0, 100, 0, 0});
  write_message(sys, msg + "subscribe_options", 4, subscribe_options{true, 7, watch_mode::drop});
  write_message(sys, msg + "event_del", 5, event{10, "users/1", event_op::del, caf::none});
  write_message(sys, msg + "lagged", 6, lagged{1, 2, 3, false});
  write_message(sys, msg + "receipt", 7, receipt{"users/1", 5, 6, 0});
  write_message(sys, msg + "lock_grant", 8, lock_grant{77, a});
  store_stats stats{1, 2, 3, 4, 5, 6, 7, 8, 9, std::string{"sync"}, 10, 11, {}};
  stats.persistence["rocksdb.estimate-pending-compaction-bytes"] = 12;
  write_message(sys, msg + "store_stats", 9, stats);
  write_message(sys, msg + "change", 10, set_change);
  write_message(sys, msg + "string", 11, std::string{"users/123"});
  write_message(sys, msg + "bytes", 12, a.data);
  write_message(sys, msg + "objects", 13, std::vector<object>{a, b});
  write_message(sys, msg + "error", 14, make_error(errc::not_found, "users/1"));
  write_message(sys, msg + "strings", 15, std::vector<std::string>{"a", "b/c"});
  return 0;
}
