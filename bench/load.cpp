#include "bench/load.hpp"

#include <atomic>
#include <future>
#include <stdexcept>

#include <sys/resource.h>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/store.hpp"
#include "bench/bench.hpp"
#include "messages/errc.hpp"

namespace ooo::storage::bench {

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

/// Counts finished clients; the last one wakes the driver.
struct completion {
  explicit completion(size_t n) : remaining(n) {
    // nop
  }

  std::atomic<size_t> remaining;
  std::atomic<uint64_t> errors{0};
  std::promise<void> all_done;

  void finish(uint64_t errs) {
    errors += errs;
    if (--remaining == 0)
      all_done.set_value();
  }
};

struct client_state {
  store_actor store;
  std::shared_ptr<const std::vector<std::string>> keys;
  std::shared_ptr<const bytes> value;
  std::shared_ptr<completion> done;
  op_kind kind = op_kind::set;
  bool copy_value = false;
  /// Sets per request: 1 sends `set`, more send `batch` messages of this many sets each, and
  /// `next`/`stride`/`total` then count batches instead of keys.
  size_t batch = 1;
  /// Next index into `keys`; advances by `stride`.
  size_t next = 0;
  size_t stride = 1;
  size_t total = 0;
  size_t answered = 0;
  uint64_t errors = 0;
  static inline const char* name = "ooo.bench.client";
};

using client_pointer = caf::stateful_actor<client_state>*;

void issue(client_pointer self);

void on_answer(client_pointer self, uint64_t failed) {
  auto& st = self->state;
  st.errors += failed;
  if (++st.answered == st.total) {
    st.done->finish(st.errors);
    self->quit();
    return;
  }
  issue(self);
}

void issue_batch(client_pointer self) {
  auto& st = self->state;
  auto first = st.next * st.batch;
  if (first >= st.keys->size())
    return;
  st.next += st.stride;
  auto last = std::min(first + st.batch, st.keys->size());
  std::vector<batch_op> ops;
  ops.reserve(last - first);
  for (auto i = first; i < last; ++i)
    ops.push_back(batch_op{batch_kind::set, (*st.keys)[i], *st.value, write_options{}});
  auto count = static_cast<uint64_t>(ops.size());
  self->request(st.store, caf::infinite, batch_atom::value, std::move(ops))
    .then(
      [self](std::vector<batch_result>& results) {
        uint64_t failed = 0;
        for (auto& r : results)
          failed += r.error ? 1 : 0;
        on_answer(self, failed);
      },
      [self, count](caf::error&) { on_answer(self, count); });
}

void issue(client_pointer self) {
  auto& st = self->state;
  if (st.batch > 1) {
    issue_batch(self);
    return;
  }
  if (st.next >= st.keys->size())
    return;
  auto& key = (*st.keys)[st.next];
  st.next += st.stride;
  if (st.kind == op_kind::set)
    self->request(st.store, caf::infinite, set_atom::value, key,
                  st.copy_value ? bytes(st.value->begin(), st.value->end()) : *st.value,
                  write_options{})
      .then([self](receipt&) { on_answer(self, 0); },
            [self](caf::error&) { on_answer(self, 1); });
  else
    self->request(st.store, caf::infinite, caf::get_atom::value, key)
      .then([self](object&) { on_answer(self, 0); },
            [self](caf::error&) { on_answer(self, 1); });
}

caf::behavior client(client_pointer self, client_state init, size_t window) {
  self->state = std::move(init);
  return {
    [self, window](go_atom) {
      if (self->state.total == 0) {
        self->state.done->finish(0);
        self->quit();
        return;
      }
      for (size_t i = 0; i < window; ++i)
        issue(self);
    },
  };
}

} // namespace

load_result drive(caf::actor_system& sys, const store_actor& store,
                  const std::shared_ptr<const std::vector<std::string>>& keys, op_kind kind,
                  const std::shared_ptr<const bytes>& value, size_t clients, size_t window,
                  bool copy_value, size_t batch) {
  batch = std::max<size_t>(1, batch);
  // With batches, the units handed out to clients are batches of keys.
  auto units = (keys->size() + batch - 1) / batch;
  clients = std::max<size_t>(1, std::min(clients, units));
  auto done = std::make_shared<completion>(clients);
  auto finished = done->all_done.get_future();
  std::vector<caf::actor> spawned;
  for (size_t c = 0; c < clients; ++c) {
    client_state init;
    init.store = store;
    init.keys = keys;
    init.value = value;
    init.done = done;
    init.kind = kind;
    init.copy_value = copy_value;
    init.batch = batch;
    init.next = c;
    init.stride = clients;
    init.total = c < units ? (units - c + clients - 1) / clients : 0;
    spawned.push_back(sys.spawn(client, std::move(init), window));
  }
  auto cpu0 = process_cpu_seconds();
  auto t0 = clock_type::now();
  for (auto& c : spawned)
    caf::anon_send(c, go_atom::value);
  finished.wait();
  load_result result;
  result.seconds = seconds_since(t0);
  result.cpu_seconds = process_cpu_seconds() - cpu0;
  result.ops = keys->size();
  result.errors = done->errors.load();
  return result;
}

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

std::shared_ptr<const std::vector<std::string>> make_keys(const std::string& prefix, size_t count,
                                                          size_t first) {
  auto keys = std::make_shared<std::vector<std::string>>();
  keys->reserve(count);
  for (size_t i = 0; i < count; ++i)
    keys->push_back(prefix + std::to_string(first + i));
  return keys;
}

std::shared_ptr<const bytes> make_value(size_t size) {
  std::string text = R"({"name":"ada lovelace","role":"analyst","n":)";
  while (text.size() + 1 < size)
    text += '7';
  text += '}';
  text.resize(size, ' ');
  return std::make_shared<const bytes>(text.begin(), text.end());
}

store_actor start_store(caf::actor_system& sys, store_config cfg) {
  auto store = spawn_store(sys, std::move(cfg));
  caf::scoped_actor self{sys};
  std::string failure;
  self->request(store, caf::infinite, start_atom::value)
    .receive([] {}, [&](caf::error& err) { failure = render(err); });
  if (!failure.empty()) {
    self->send_exit(store, caf::exit_reason::user_shutdown);
    throw std::runtime_error("store start failed: " + failure);
  }
  return store;
}

void stop_store(caf::actor_system& sys, store_actor& store) {
  if (!store)
    return;
  caf::scoped_actor self{sys};
  self->request(store, caf::infinite, caf::close_atom::value).receive([] {}, [](caf::error&) {});
  self->send_exit(store, caf::exit_reason::user_shutdown);
  store = nullptr;
}

store_stats fetch_stats(caf::actor_system& sys, const store_actor& store) {
  caf::scoped_actor self{sys};
  store_stats result;
  std::string failure;
  self->request(store, caf::infinite, stats_atom::value)
    .receive([&](store_stats& x) { result = std::move(x); },
             [&](caf::error& err) { failure = render(err); });
  if (!failure.empty())
    throw std::runtime_error("stats failed: " + failure);
  return result;
}

} // namespace ooo::storage::bench
