// crash_writer: the client half of the crash test (tests/crash/crash_test.py).
//
//   crash_writer write  HOST PORT ROUND [TLS]   pipelines writes of crash/ROUND/<i> and prints
//                                                "ok KEY REVISION" once each write is answered
//   crash_writer verify HOST PORT LOG [TLS]     checks a restarted node against the answered
//                                                writes
//   TLS: --tls-cert FILE --tls-key FILE --tls-ca FILE (mutual TLS, as the node's options)
//
// Every value is a function of its key, so "nothing unanswered is half-present" is checkable:
// a present key must hold exactly value_of(key), answered or not.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"
#include "transport/network.hpp"
#include "transport/tls_files.hpp"

using namespace ooo::storage;
using namespace std::chrono_literals;

namespace {

constexpr auto timeout = 5s;
/// Writes in flight at once: enough for group commits of several changes.
constexpr int window = 32;

bytes value_of(const std::string& key) {
  // Long enough to span more than one small write, distinct per key.
  std::string text = "{\"key\":\"" + key + "\",\"pad\":\"" + std::string(200, 'x') + "\"}";
  return bytes(text.begin(), text.end());
}

struct config : caf::actor_system_config {
  config() {
    register_types(*this);
  }
};

caf::expected<store_actor> connect(caf::actor_system& sys, const std::string& host,
                                   uint16_t port) {
  return transport::remote_actor<store_actor>(sys, host, port);
}

int write(caf::actor_system& sys, store_actor store, const std::string& round) {
  sys.spawn([store, round](caf::event_based_actor* self) {
    auto next = std::make_shared<int>(0);
    // Each answer sends the next write, keeping `window` in flight; the first error (the node
    // died) ends the writer.
    auto send_one = std::make_shared<std::function<void()>>();
    *send_one = [=] {
      if (*next >= 100000)
        return;
      auto key = "crash/" + round + "/" + std::to_string((*next)++);
      self->request(store, timeout, set_atom::value, key, value_of(key), write_options{})
        .then(
          [=](const receipt& r) {
            std::printf("ok %s %llu\n", key.c_str(),
                        static_cast<unsigned long long>(r.revision));
            std::fflush(stdout);
            (*send_one)();
          },
          [=](caf::error&) { self->quit(); });
    };
    for (int i = 0; i < window; ++i)
      (*send_one)();
  });
  sys.await_all_actors_done();
  return 0;
}

int verify(caf::actor_system& sys, store_actor store, const std::string& log_file) {
  std::ifstream in{log_file};
  std::map<std::string, uint64_t> answered;
  uint64_t max_revision = 0;
  std::string tag, key;
  uint64_t revision = 0;
  while (in >> tag >> key >> revision) {
    answered[key] = revision;
    max_revision = std::max(max_revision, revision);
  }
  caf::scoped_actor self{sys};
  int errors = 0;
  // One list query reads everything back (per-key gets from one blocking actor would leave a
  // timeout message per request in its mailbox).
  list_options all;
  all.limit = 1000000;
  std::map<std::string, object> present;
  self->request(store, timeout, list_atom::value, std::string{"crash/*/*"}, all)
    .receive(
      [&](std::vector<object>& objs) {
        for (auto& obj : objs)
          present.emplace(obj.path, std::move(obj));
      },
      [&](caf::error& err) {
        std::cerr << "list failed: " << render(err) << "\n";
        ++errors;
      });
  // 1. Every answered write is there with its exact data and revision.
  for (auto& [key, rev] : answered) {
    auto i = present.find(key);
    if (i == present.end()) {
      std::cerr << "answered write " << key << " is missing\n";
      ++errors;
    } else if (i->second.data != value_of(key) || i->second.revision != rev) {
      std::cerr << "answered write " << key << " differs after restart\n";
      ++errors;
    }
  }
  // 2. Whatever else is present was written whole.
  for (auto& [key, obj] : present)
    if (obj.data != value_of(key)) {
      std::cerr << "key " << key << " holds a value that was never written\n";
      ++errors;
    }
  std::cout << "verified " << answered.size() << " answered writes, " << present.size()
            << " keys present\n";
  // 3. The revision counter never goes back.
  self->request(store, timeout, stats_atom::value)
    .receive(
      [&](const store_stats& st) {
        if (st.revision < max_revision) {
          std::cerr << "revision went back: " << st.revision << " < " << max_revision << "\n";
          ++errors;
        }
      },
      [&](caf::error& err) {
        std::cerr << "stats failed: " << render(err) << "\n";
        ++errors;
      });
  return errors == 0 ? 0 : 1;
}

} // namespace

int usage() {
  std::cerr << "usage: crash_writer write HOST PORT ROUND [TLS] | verify HOST PORT LOG [TLS]\n"
               "       TLS: --tls-cert FILE --tls-key FILE --tls-ca FILE\n";
  return 2;
}

int main(int argc, char** argv) {
  if (argc != 5 && argc != 11)
    return usage();
  std::string mode = argv[1];
  transport::tls_files tls;
  for (int i = 5; i + 1 < argc; i += 2) {
    std::string opt = argv[i];
    auto* file = opt == "--tls-cert" ? &tls.cert
                 : opt == "--tls-key" ? &tls.key
                 : opt == "--tls-ca"  ? &tls.ca
                                      : nullptr;
    if (file == nullptr)
      return usage();
    *file = argv[i + 1];
  }
  if (auto err = transport::check(tls, transport::tls_role::client)) {
    std::cerr << caf::actor_system_config::render(err) << "\n";
    return 2;
  }
  config cfg;
  cfg.load<caf::io::middleman>();
  if (auto err = transport::use_tls(cfg, tls)) {
    std::cerr << caf::actor_system_config::render(err) << "\n";
    return 2;
  }
  transport::use_heartbeats(cfg);
  caf::actor_system sys{cfg};
  auto store = connect(sys, argv[2], static_cast<uint16_t>(std::stoi(argv[3])));
  if (!store) {
    std::cerr << "cannot connect: " << sys.render(store.error()) << "\n";
    return 3;
  }
  auto rc = mode == "write" ? write(sys, *store, argv[4]) : verify(sys, *store, argv[4]);
  std::fflush(stdout);
  // The node may be dead: do not let CAF's shutdown wait for the connection.
  std::_Exit(rc);
}
