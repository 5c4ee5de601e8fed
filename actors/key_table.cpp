#include "actors/key_table.hpp"

#include <algorithm>

namespace ooo::storage {

key_table::obstacle key_table::check(const std::string& key, const caf::actor_addr& client,
                                     op_class cls, uint64_t token, uint64_t ticket) const {
  if (entries_.empty())
    return obstacle::none;
  auto i = entries_.find(key);
  if (i == entries_.end())
    return obstacle::none;
  auto& e = i->second;
  if (e.in_flight)
    return obstacle::in_flight;
  // Before the client's turn: a writer of a locked key counts against the lock-waiter limit
  // even while an earlier op of its own still waits.
  bool respects_lock = cls == op_class::write || cls == op_class::lock;
  if (respects_lock && e.token != 0 && e.token != token)
    return obstacle::locked;
  for (auto& w : e.queue)
    if (w.client == client && w.ticket < ticket)
      return obstacle::turn;
  return obstacle::none;
}

void key_table::park(const std::string& key, parked_op op) {
  auto& q = entries_[key].queue;
  auto pos = std::upper_bound(q.begin(), q.end(), op.ticket,
                              [](uint64_t t, const parked_op& w) { return t < w.ticket; });
  q.insert(pos, std::move(op));
}

size_t key_table::lock_waiters(const std::string& key) const {
  auto i = entries_.find(key);
  if (i == entries_.end() || i->second.token == 0)
    return 0;
  auto& e = i->second;
  return static_cast<size_t>(std::count_if(e.queue.begin(), e.queue.end(), [&](const parked_op& w) {
    return (w.cls == op_class::write || w.cls == op_class::lock) && w.token != e.token;
  }));
}

void key_table::resume(const std::string& key) {
  auto i = entries_.find(key);
  if (i == entries_.end() || i->second.queue.empty())
    return;
  std::vector<uint64_t> tickets;
  for (auto& w : i->second.queue)
    tickets.push_back(w.ticket);
  // One at a time, oldest first: each re-run either runs (and may start a write or take the
  // lock, so that the rest parks again) or parks itself again, at its place.
  for (auto ticket : tickets) {
    i = entries_.find(key);
    if (i == entries_.end())
      return;
    auto& q = i->second.queue;
    auto w = std::find_if(q.begin(), q.end(), [&](const parked_op& x) { return x.ticket == ticket; });
    if (w == q.end())
      continue;
    auto op = std::move(*w);
    q.erase(w);
    forget_if_idle(i);
    op.run();
  }
}

void key_table::resume_if(const std::function<bool(const std::string&)>& pred) {
  std::vector<std::string> keys;
  for (auto& [key, e] : entries_)
    if (!e.queue.empty() && pred(key))
      keys.push_back(key);
  for (auto& key : keys)
    resume(key);
}

void key_table::begin_write(const std::string& key, uint64_t ticket,
                            const caf::actor_addr& client) {
  auto& e = entries_[key];
  e.in_flight = true;
  e.flight_ticket = ticket;
  e.flight_client = client;
}

void key_table::end_write(const std::string& key) {
  auto i = entries_.find(key);
  if (i == entries_.end())
    return;
  i->second.in_flight = false;
  i->second.flight_client = nullptr;
  forget_if_idle(i);
  resume(key);
}

uint64_t key_table::token(const std::string& key) const {
  if (entries_.empty())
    return 0;
  auto i = entries_.find(key);
  return i == entries_.end() ? 0 : i->second.token;
}

void key_table::take_lock(const std::string& key, uint64_t token, const caf::actor_addr& holder) {
  auto& e = entries_[key];
  e.token = token;
  e.holder = holder;
}

caf::actor_addr key_table::release_lock(const std::string& key, uint64_t token) {
  auto i = entries_.find(key);
  if (i == entries_.end() || token == 0 || i->second.token != token)
    return nullptr;
  auto holder = std::move(i->second.holder);
  i->second.token = 0;
  i->second.holder = nullptr;
  forget_if_idle(i);
  resume(key);
  return holder;
}

std::vector<std::pair<std::string, uint64_t>>
key_table::locks_of(const caf::actor_addr& holder) const {
  std::vector<std::pair<std::string, uint64_t>> result;
  for (auto& [key, e] : entries_)
    if (e.token != 0 && e.holder == holder)
      result.emplace_back(key, e.token);
  return result;
}

std::vector<parked_op> key_table::take_all_parked() {
  std::vector<parked_op> result;
  for (auto i = entries_.begin(); i != entries_.end();) {
    for (auto& op : i->second.queue)
      result.emplace_back(std::move(op));
    i->second.queue.clear();
    if (i->second.idle())
      i = entries_.erase(i);
    else
      ++i;
  }
  return result;
}

size_t key_table::locks() const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [](auto& kv) { return kv.second.token != 0; }));
}

size_t key_table::lock_waiters() const {
  size_t n = 0;
  for (auto& [key, e] : entries_)
    n += lock_waiters(key);
  return n;
}

void key_table::forget_if_idle(std::unordered_map<std::string, entry>::iterator i) {
  if (i->second.idle())
    entries_.erase(i);
}

} // namespace ooo::storage
