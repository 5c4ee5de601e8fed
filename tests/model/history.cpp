#include "tests/model/history.hpp"

#include <sstream>

namespace ooo::storage::model {

const char* to_string(op_kind x) {
  switch (x) {
    case op_kind::set:
      return "set";
    case op_kind::push:
      return "push";
    case op_kind::get:
      return "get";
    case op_kind::del:
      return "del";
    case op_kind::del_silent:
      return "del_silent";
    case op_kind::del_glob:
      return "del_glob";
    case op_kind::del_glob_silent:
      return "del_glob_silent";
    case op_kind::clear:
      return "clear";
    case op_kind::list:
      return "list";
    case op_kind::keys:
      return "keys";
    case op_kind::lock:
      return "lock";
    case op_kind::get_lock:
      return "get_lock";
    default:
      return "unlock";
  }
}

bool is_write(op_kind x) {
  switch (x) {
    case op_kind::set:
    case op_kind::push:
    case op_kind::del:
    case op_kind::del_silent:
    case op_kind::del_glob:
    case op_kind::del_glob_silent:
    case op_kind::clear:
      return true;
    default:
      return false;
  }
}

bool is_multi_key(op_kind x) {
  switch (x) {
    case op_kind::del_glob:
    case op_kind::del_glob_silent:
    case op_kind::clear:
    case op_kind::list:
    case op_kind::keys:
    case op_kind::push:
      return true;
    default:
      return false;
  }
}

uint64_t history::invoke(op x, const std::string& payload) {
  std::lock_guard<std::mutex> guard{mtx_};
  x.id = ops_.size() + 1;
  if (x.kind == op_kind::set || x.kind == op_kind::push)
    x.value = make_value(x.id, payload);
  x.invoke = clock.tick();
  ops_.emplace_back(std::move(x));
  return ops_.back().id;
}

size_t history::subscribe(subscription_record x) {
  std::lock_guard<std::mutex> guard{mtx_};
  x.invoke = clock.tick();
  subs_.emplace_back(std::move(x));
  return subs_.size() - 1;
}

void history::record_commits(const std::vector<change>& batch,
                             const std::vector<uint64_t>& units) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto tick = clock.tick();
  ++batches_;
  for (size_t i = 0; i < batch.size(); ++i)
    commits_.push_back(commit{batch[i], units[i], tick, batches_});
}

std::vector<op> history::ops() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return {ops_.begin(), ops_.end()};
}

std::vector<subscription_record> history::subscriptions() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return {subs_.begin(), subs_.end()};
}

std::vector<commit> history::commits() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return commits_;
}

bytes make_value(uint64_t op_id, const std::string& payload) {
  auto text = "v" + std::to_string(op_id) + ":" + payload;
  return bytes(text.begin(), text.end());
}

uint64_t writer_of(const bytes& value) {
  if (value.size() < 3 || value[0] != 'v')
    return 0;
  uint64_t id = 0;
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == ':')
      return id;
    if (value[i] < '0' || value[i] > '9')
      return 0;
    id = id * 10 + static_cast<uint64_t>(value[i] - '0');
  }
  return 0;
}

std::string payload_of(const bytes& value) {
  std::string text(value.begin(), value.end());
  auto colon = text.find(':');
  return colon == std::string::npos ? std::string{} : text.substr(colon + 1);
}

namespace {

std::string text(const bytes& x) {
  return std::string(x.begin(), x.end());
}

} // namespace

std::string describe(const op& x) {
  std::ostringstream out;
  out << "#" << x.id << " c" << x.client << "." << x.seq << " [" << x.invoke << ".."
      << (x.complete ? std::to_string(x.complete) : std::string{"-"}) << "] " << to_string(x.kind)
      << " " << (x.key.empty() ? "\"\"" : x.key);
  if (!x.value.empty())
    out << " " << text(x.value);
  if (x.wopts.expected_revision >= 0)
    out << " if-rev=" << x.wopts.expected_revision;
  if (x.wopts.created != 0)
    out << " created=" << x.wopts.created;
  if (x.wopts.token != 0)
    out << " token=" << x.wopts.token << (x.wopts.unlock ? " +unlock" : "");
  if (x.kind == op_kind::unlock)
    out << " token=" << x.token;
  if (x.kind == op_kind::list || x.kind == op_kind::keys) {
    auto& o = x.lopts;
    if (o.ascending || o.offset || o.limit || o.created_from || o.created_to)
      out << " {asc=" << o.ascending << " off=" << o.offset << " lim=" << o.limit
          << " from=" << o.created_from << " to=" << o.created_to << "}";
  }
  out << " -> ";
  if (x.complete == 0) {
    out << "(no answer)";
  } else if (x.error) {
    out << render(x.error);
  } else {
    switch (x.kind) {
      case op_kind::set:
      case op_kind::push:
        out << x.written.key << " @" << x.written.revision;
        break;
      case op_kind::get:
        out << text(x.read.data) << " @" << x.read.revision;
        break;
      case op_kind::get_lock:
        out << "token " << x.number << ", " << text(x.read.data) << " @" << x.read.revision;
        break;
      case op_kind::lock:
        out << "token " << x.number;
        break;
      case op_kind::list: {
        out << "[";
        for (size_t i = 0; i < x.listed.size(); ++i)
          out << (i ? " " : "") << x.listed[i].path << "=" << text(x.listed[i].data) << "@"
              << x.listed[i].revision;
        out << "]";
        break;
      }
      case op_kind::keys: {
        out << "[";
        for (size_t i = 0; i < x.keys_listed.size(); ++i)
          out << (i ? " " : "") << x.keys_listed[i];
        out << "]";
        break;
      }
      case op_kind::unlock:
        out << "ok";
        break;
      default:
        out << x.number;
    }
  }
  return out.str();
}

} // namespace ooo::storage::model
