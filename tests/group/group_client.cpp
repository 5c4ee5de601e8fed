// ooo-group-client: the clients of the failover tests (tests/group/failover.py). Writers send
// sets, deletes and glob deletes to random nodes of a replicated group, following the leader
// the way every client must (`not_leader` names it, `unavailable` means "ask again"); watchers
// subscribe on one node and, when it goes away, resume on another from the last revision they
// saw. Everything is recorded as JSON lines for the test to check:
//
//   OUT/writes.jsonl     {"writer","seq","op","key","value","outcome":"ok"|"refused"|"unknown",
//                         "revision","count","error"}  (one line per request)
//   OUT/watcher-I.jsonl  {"revision","op","key","value","unit"} per event, and
//                        {"subscribed":"HOST:PORT","since":REV} each time it (re)subscribes
//   OUT/summary.json     {"sentinel": REV}: the revision of a last write made once the writers
//                        stopped; every watcher received everything up to it before the dump
//
//   ooo-group-client --nodes H:P,H:P,... --out DIR [--writers 4] [--watchers 3]
//     runs until a line arrives on standard input (or it closes), then stops the writers,
//     writes the sentinel, waits (at most --drain seconds) for the watchers, dumps, exits 0.
//   ooo-group-client --dump --nodes H:P --out FILE --until REV
//     subscribes on that node from revision 0 and writes every event up to REV (history check).
//   ooo-group-client --locks --nodes H:P,... --out FILE
//     takes a lock through the leader, prints `locked TOKEN`, waits for a line on standard
//     input (the test makes the leadership move meanwhile), then tries the old token (a write
//     with it, an unlock) and a new lock of the same key, and writes the outcomes as JSON.
//
// Exit codes: 0 done, 1 the sentinel or the dump did not complete in time, 2 usage.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "caf/actor_clock.hpp"
#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"

namespace ooo::storage::group_test {

using json = nlohmann::ordered_json;
using namespace std::chrono_literals;

constexpr auto request_timeout = 5s;
/// A writer gives up on one request after this long of redirects and retries.
constexpr auto op_budget = 20s;
const std::string pattern = "f/*/*";

struct address {
  std::string host;
  uint16_t port = 0;
  std::string text() const {
    return host + ':' + std::to_string(port);
  }
};

std::vector<address> parse_nodes(const std::string& text) {
  std::vector<address> out;
  std::stringstream in{text};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto colon = item.rfind(':');
    if (colon == std::string::npos)
      throw std::runtime_error("not HOST:PORT: " + item);
    out.push_back(address{item.substr(0, colon),
                          static_cast<uint16_t>(std::stoi(item.substr(colon + 1)))});
  }
  return out;
}

/// One thread's connections to the nodes, made with a timeout (a stopped node accepts TCP but
/// never completes CAF's handshake) and dropped when a node stops answering.
/// CAF 0.17 leaves a blocking request's timeout armed after the answer: it arrives later as a
/// stray message, and timeouts still pending at exit outlive their actor (LeakSanitizer).
template <class Handle>
void disarm(caf::scoped_actor& self, const Handle& hdl) {
  self->system().clock().cancel_request_timeout(self.ptr(), hdl.id());
}

class links {
public:
  links(caf::actor_system& sys, std::vector<address> nodes)
    : sys_(sys), nodes_(std::move(nodes)), handles_(nodes_.size()) {
    // nop
  }

  size_t size() const {
    return nodes_.size();
  }

  const address& at(size_t i) const {
    return nodes_[i];
  }

  /// The index of the node at `text`, or `size()` if it is none of them.
  size_t find(const std::string& text) const {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].text() == text)
        return i;
    return nodes_.size();
  }

  caf::actor get(caf::scoped_actor& self, size_t i) {
    if (handles_[i])
      return handles_[i];
    auto mm = sys_.middleman().actor_handle();
    auto hdl = self->request(mm, request_timeout, caf::connect_atom::value, nodes_[i].host,
                             nodes_[i].port);
    hdl.receive(
        [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
          handles_[i] = caf::actor_cast<caf::actor>(std::move(ptr));
        },
        [](caf::error&) {});
    disarm(self, hdl);
    return handles_[i];
  }

  void drop(size_t i) {
    handles_[i] = nullptr;
  }

private:
  caf::actor_system& sys_;
  std::vector<address> nodes_;
  std::vector<caf::actor> handles_;
};

/// The context of an error of our category: `not_leader`'s leader address.
std::string detail_of(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

std::string text_of(caf::actor_system& sys, const caf::error& err) {
  return err.category() == error_category ? render(err) : sys.render(err);
}

// -- writers ------------------------------------------------------------------------------------

struct outcome {
  std::string kind = "unknown"; // ok, refused (a definite answer that did nothing), unknown
  uint64_t revision = 0;
  uint64_t count = 0;
  std::string error;
};

void read_reply(receipt& r, outcome& out) {
  out.revision = r.revision;
  out.count = 1;
}

void read_reply(deleted& d, outcome& out) {
  out.revision = d.revision;
  out.count = d.count;
}

/// Sends one write, answered with a `Reply` (receipt or deleted), where it can be served.
template <class Reply>
outcome send(caf::actor_system& sys, caf::scoped_actor& self, links& nodes, std::mt19937& rng,
             const caf::message& request) {
  auto deadline = std::chrono::steady_clock::now() + op_budget;
  auto target = std::uniform_int_distribution<size_t>{0, nodes.size() - 1}(rng);
  outcome result;
  while (std::chrono::steady_clock::now() < deadline) {
    auto h = nodes.get(self, target);
    if (!h) {
      // Nothing was sent: safe to try the next node.
      target = (target + 1) % nodes.size();
      std::this_thread::sleep_for(50ms);
      continue;
    }
    caf::error err;
    bool done = false;
    auto hdl = self->request(h, request_timeout, request);
    hdl.receive(
      [&](Reply& reply) {
        read_reply(reply, result);
        result.kind = "ok";
        done = true;
      },
      [&](caf::error& x) { err = std::move(x); });
    disarm(self, hdl);
    if (done)
      return result;
    if (is(err, errc::not_leader)) {
      auto hint = nodes.find(detail_of(err));
      target = hint < nodes.size() && hint != target ? hint : (target + 1) % nodes.size();
      if (hint == nodes.size())
        std::this_thread::sleep_for(50ms);
      continue;
    }
    if (is(err, errc::unavailable) || is(err, errc::not_active)) {
      // Nothing was done (an election, a new leader catching up, its store restarting).
      std::this_thread::sleep_for(100ms);
      continue;
    }
    result.error = text_of(sys, err);
    if (is(err, errc::not_found)) {
      result.kind = "refused";
      return result;
    }
    // leadership_lost, a timeout, the node gone: the request may have taken effect.
    if (err.category() != error_category)
      nodes.drop(target);
    result.kind = "unknown";
    return result;
  }
  result.error = "no node served the request within the budget";
  return result;
}

void run_writer(caf::actor_system& sys, std::vector<address> addrs, int id,
                const std::atomic<bool>& stop, std::vector<json>& records) {
  caf::scoped_actor self{sys};
  links nodes{sys, std::move(addrs)};
  std::mt19937 rng{static_cast<unsigned>(id * 7919 + 17)};
  for (uint64_t seq = 1; !stop.load(); ++seq) {
    auto dice = std::uniform_int_distribution<int>{0, 99}(rng);
    auto k = std::uniform_int_distribution<int>{0, 7}(rng);
    json rec;
    rec["writer"] = id;
    rec["seq"] = seq;
    caf::message request;
    std::string key = "f/w" + std::to_string(id) + "/k" + std::to_string(k);
    std::string value = "w" + std::to_string(id) + "-" + std::to_string(seq);
    if (dice < 85) {
      rec["op"] = "set";
      rec["key"] = key;
      rec["value"] = value;
      request = caf::make_message(set_atom::value, key, bytes(value.begin(), value.end()),
                                  write_options{});
    } else if (dice < 96) {
      rec["op"] = "del";
      rec["key"] = key;
      request = caf::make_message(del_atom::value, key);
    } else {
      key = "f/w" + std::to_string(id) + "/*";
      rec["op"] = "glob";
      rec["key"] = key;
      request = caf::make_message(del_atom::value, key);
    }
    auto out = rec["op"] == "set" ? send<receipt>(sys, self, nodes, rng, request)
                                  : send<deleted>(sys, self, nodes, rng, request);
    rec["outcome"] = out.kind;
    rec["revision"] = out.revision;
    rec["count"] = out.count;
    if (!out.error.empty())
      rec["error"] = out.error;
    records.push_back(std::move(rec));
  }
}

// -- watchers -----------------------------------------------------------------------------------

/// What a watcher received, shared between its recorder actor and its thread.
struct watch_log {
  std::mutex mtx;
  std::vector<json> lines;
  std::atomic<uint64_t> last{0};
};

json event_json(const event& ev) {
  json out;
  out["revision"] = ev.revision;
  out["op"] = to_string(ev.op);
  out["key"] = ev.key;
  if (ev.value)
    out["value"] = std::string(ev.value->data.begin(), ev.value->data.end());
  else
    out["value"] = nullptr;
  out["unit"] = ev.unit;
  return out;
}

caf::behavior recorder(caf::event_based_actor*, std::shared_ptr<watch_log> log) {
  return {
    [log](const event_batch& batch) {
      std::lock_guard<std::mutex> guard{log->mtx};
      for (auto& ev : batch.events) {
        log->lines.push_back(event_json(ev));
        log->last.store(ev.revision);
      }
    },
    [log](const lagged& x) {
      std::lock_guard<std::mutex> guard{log->mtx};
      json out;
      out["lagged"] = x.dropped;
      out["resume_from"] = x.resume_from;
      out["ended"] = x.ended;
      log->lines.push_back(std::move(out));
    },
  };
}

/// Keeps a subscription of `pattern` alive on some node until `done` says so, resuming from
/// the last revision on another node whenever its node goes away.
void run_watcher(caf::actor_system& sys, std::vector<address> addrs, int id, uint64_t since,
                 std::shared_ptr<watch_log> log, const std::function<bool()>& done) {
  caf::scoped_actor self{sys};
  links nodes{sys, std::move(addrs)};
  auto rec = sys.spawn(recorder, log);
  log->last.store(since);
  size_t target = static_cast<size_t>(id) % nodes.size();
  while (!done()) {
    auto h = nodes.get(self, target);
    if (!h) {
      target = (target + 1) % nodes.size();
      std::this_thread::sleep_for(100ms);
      continue;
    }
    subscribe_options opts;
    opts.resume = true;
    opts.since = log->last.load();
    opts.mode = watch_mode::lossless;
    bool subscribed = false;
    auto hdl = self->request(h, request_timeout, caf::subscribe_atom::value, pattern, rec, opts);
    hdl.receive([&](uint64_t) { subscribed = true; }, [](caf::error&) {});
    disarm(self, hdl);
    if (!subscribed) {
      nodes.drop(target);
      target = (target + 1) % nodes.size();
      std::this_thread::sleep_for(100ms);
      continue;
    }
    {
      std::lock_guard<std::mutex> guard{log->mtx};
      json marker;
      marker["subscribed"] = nodes.at(target).text();
      marker["since"] = opts.since;
      log->lines.push_back(std::move(marker));
    }
    self->monitor(h);
    bool down = false;
    while (!down && !done())
      self->receive([&](caf::down_msg& msg) { down = msg.source == h.address(); },
                    caf::after(200ms) >> [] {});
    if (down) {
      nodes.drop(target);
      target = (target + 1) % nodes.size();
    }
  }
  caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
}

// -- the phases ---------------------------------------------------------------------------------

void write_lines(const std::string& path, const std::vector<json>& lines) {
  std::ofstream out{path};
  for (auto& line : lines)
    out << line.dump() << '\n';
}

/// The revision of a write made after everything else, or 0 if none succeeded in time.
uint64_t write_sentinel(caf::actor_system& sys, const std::vector<address>& addrs) {
  caf::scoped_actor self{sys};
  links nodes{sys, addrs};
  std::mt19937 rng{4711};
  std::string value = "sentinel";
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto out = send<receipt>(sys, self, nodes, rng,
                    caf::make_message(set_atom::value, std::string{"f/end/0"},
                                      bytes(value.begin(), value.end()), write_options{}));
    if (out.kind == "ok")
      return out.revision;
  }
  return 0;
}

int run_clients(caf::actor_system& sys, const std::vector<address>& addrs, const std::string& out,
                int writer_count, int watcher_count, double drain_seconds) {
  // Watchers start from the revision the group is at now, on different nodes.
  std::atomic<bool> stop_writers{false};
  std::atomic<bool> stop_watchers{false};
  std::vector<std::vector<json>> records(writer_count);
  std::vector<std::thread> writers;
  std::vector<std::shared_ptr<watch_log>> logs;
  std::vector<std::thread> watchers;
  for (int i = 0; i < watcher_count; ++i) {
    logs.push_back(std::make_shared<watch_log>());
    watchers.emplace_back(run_watcher, std::ref(sys), addrs, i, uint64_t{0}, logs.back(),
                          [&stop_watchers] { return stop_watchers.load(); });
  }
  for (int i = 0; i < writer_count; ++i)
    writers.emplace_back(run_writer, std::ref(sys), addrs, i, std::cref(stop_writers),
                         std::ref(records[i]));
  std::cout << "running" << std::endl;
  std::string line;
  std::getline(std::cin, line);
  stop_writers = true;
  for (auto& t : writers)
    t.join();
  auto sentinel = write_sentinel(sys, addrs);
  std::cerr << "sentinel at revision " << sentinel << std::endl;
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>{drain_seconds});
  auto caught_up = [&] {
    for (auto& log : logs)
      if (log->last.load() < sentinel)
        return false;
    return true;
  };
  while (sentinel > 0 && !caught_up() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  stop_watchers = true;
  for (auto& t : watchers)
    t.join();
  std::vector<json> all;
  for (auto& r : records)
    all.insert(all.end(), r.begin(), r.end());
  write_lines(out + "/writes.jsonl", all);
  for (size_t i = 0; i < logs.size(); ++i) {
    std::lock_guard<std::mutex> guard{logs[i]->mtx};
    write_lines(out + "/watcher-" + std::to_string(i) + ".jsonl", logs[i]->lines);
  }
  json summary;
  summary["sentinel"] = sentinel;
  summary["watchers_caught_up"] = caught_up();
  std::ofstream{out + "/summary.json"} << summary.dump() << '\n';
  return sentinel > 0 && caught_up() ? 0 : 1;
}

/// Sends `request` where it can be served (following `not_leader`, retrying `unavailable`),
/// expecting a `T`; returns it or the error that ended the attempt.
template <class T>
caf::expected<T> ask(caf::scoped_actor& self, links& nodes, const caf::message& request) {
  auto deadline = std::chrono::steady_clock::now() + op_budget;
  size_t target = 0;
  caf::error last = make_error(errc::unavailable, "no node answered");
  while (std::chrono::steady_clock::now() < deadline) {
    auto h = nodes.get(self, target);
    if (!h) {
      target = (target + 1) % nodes.size();
      std::this_thread::sleep_for(50ms);
      continue;
    }
    caf::expected<T> result{caf::error{}};
    auto hdl = self->request(h, request_timeout, request);
    if constexpr (std::is_void<T>::value)
      hdl.receive([&] { result = caf::expected<void>{}; },
                  [&](caf::error& err) { result = std::move(err); });
    else
      hdl.receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& err) { result = std::move(err); });
    disarm(self, hdl);
    if (result)
      return result;
    last = result.error();
    if (is(last, errc::not_leader)) {
      auto hint = nodes.find(detail_of(last));
      target = hint < nodes.size() && hint != target ? hint : (target + 1) % nodes.size();
      std::this_thread::sleep_for(50ms);
      continue;
    }
    if (is(last, errc::unavailable) || is(last, errc::not_active)
        || last.category() != error_category) {
      if (last.category() != error_category)
        nodes.drop(target);
      std::this_thread::sleep_for(100ms);
      continue;
    }
    return last;
  }
  return last;
}

/// The lock scenario (see the top of the file).
int run_locks(caf::actor_system& sys, const std::vector<address>& addrs, const std::string& out) {
  caf::scoped_actor self{sys};
  links nodes{sys, addrs};
  const std::string key = "l/held";
  auto token = ask<uint64_t>(self, nodes,
                             caf::make_message(lock_atom::value, key, uint32_t{600000}));
  if (!token) {
    std::cerr << "no lock: " << text_of(sys, token.error()) << std::endl;
    return 1;
  }
  // The holder writes under its lock while the leadership stands.
  std::string v1 = "under-lock";
  write_options with_token;
  with_token.token = *token;
  auto first = ask<receipt>(self, nodes,
                            caf::make_message(set_atom::value, key, bytes(v1.begin(), v1.end()),
                                              with_token));
  std::cout << "locked " << *token << std::endl;
  std::string line;
  std::getline(std::cin, line);
  json result;
  result["token"] = *token;
  result["first_write"] = first ? "ok" : text_of(sys, first.error());
  std::string v2 = "stale-token";
  auto stale = ask<receipt>(self, nodes,
                            caf::make_message(set_atom::value, key, bytes(v2.begin(), v2.end()),
                                              with_token));
  result["stale_write"] = stale ? "ok" : text_of(sys, stale.error());
  auto unlock = ask<void>(self, nodes, caf::make_message(unlock_atom::value, key, *token));
  result["stale_unlock"] = unlock ? "ok" : text_of(sys, unlock.error());
  std::string v3 = "plain";
  auto plain = ask<receipt>(self, nodes,
                            caf::make_message(set_atom::value, key, bytes(v3.begin(), v3.end()),
                                              write_options{}));
  result["plain_write"] = plain ? "ok" : text_of(sys, plain.error());
  auto again = ask<uint64_t>(self, nodes,
                             caf::make_message(lock_atom::value, key, uint32_t{600000}));
  result["new_lock"] = again ? "ok" : text_of(sys, again.error());
  result["new_token"] = again ? *again : 0;
  std::ofstream{out} << result.dump() << '\n';
  return 0;
}

int run_dump(caf::actor_system& sys, const address& node, const std::string& out, uint64_t until) {
  auto log = std::make_shared<watch_log>();
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::atomic<bool> reached{false};
  std::thread watcher{run_watcher, std::ref(sys), std::vector<address>{node}, 0, uint64_t{0}, log,
                      [&] {
                        return log->last.load() >= until
                               || std::chrono::steady_clock::now() >= deadline;
                      }};
  watcher.join();
  std::lock_guard<std::mutex> guard{log->mtx};
  std::vector<json> events;
  for (auto& line : log->lines)
    if (line.contains("revision"))
      events.push_back(line);
  write_lines(out, events);
  return log->last.load() >= until ? 0 : 1;
}

struct config : caf::actor_system_config {
  config() {
    load<caf::io::middleman>();
    register_types(*this);
    set("middleman.heartbeat-interval", caf::timespan{1s});
    set("middleman.connection-timeout", caf::timespan{5s});
  }
};

int run(int argc, char** argv) {
  CLI::App app{"ooo-group-client: writers and watchers against a replicated group"};
  std::string nodes;
  std::string out;
  int writers = 4;
  int watchers = 3;
  double drain = 60;
  bool dump = false;
  bool locks = false;
  uint64_t until = 0;
  app.add_option("--nodes", nodes, "HOST:PORT,...")->required();
  app.add_option("--out", out, "output directory (dump: file)")->required();
  app.add_option("--writers", writers);
  app.add_option("--watchers", watchers);
  app.add_option("--drain", drain, "seconds the watchers may take to catch up at the end");
  app.add_flag("--dump", dump, "write a node's retained history up to --until");
  app.add_flag("--locks", locks, "the lock scenario");
  app.add_option("--until", until);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto addrs = parse_nodes(nodes);
  config cfg;
  caf::actor_system sys{cfg};
  if (dump)
    return run_dump(sys, addrs.front(), out, until);
  if (locks)
    return run_locks(sys, addrs, out);
  return run_clients(sys, addrs, out, writers, watchers, drain);
}

} // namespace ooo::storage::group_test

int main(int argc, char** argv) {
  return ooo::storage::group_test::run(argc, argv);
}
