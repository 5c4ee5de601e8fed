#include "bench/redis_server.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <hiredis/hiredis.h>

namespace ooo::storage::bench {

namespace {

struct reply_deleter {
  void operator()(redisReply* r) const {
    if (r)
      freeReplyObject(r);
  }
};

using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

std::string reply_text(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_STRING:
      return std::string(r.str, r.len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r.integer);
    case REDIS_REPLY_NIL:
      return {};
    default:
      return "(array of " + std::to_string(r.elements) + ")";
  }
}

} // namespace

redis_connection::redis_connection(int port) {
  timeval tv{5, 0};
  ctx_ = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (ctx_ == nullptr)
    throw std::runtime_error("hiredis: cannot allocate a context");
  if (ctx_->err) {
    std::string why = ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    throw std::runtime_error("cannot connect to redis on 127.0.0.1:" + std::to_string(port)
                             + ": " + why);
  }
}

redis_connection::~redis_connection() {
  if (ctx_)
    redisFree(ctx_);
}

std::string redis_connection::command(const std::vector<std::string>& words) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& w : words) {
    argv.push_back(w.data());
    lens.push_back(w.size());
  }
  reply_ptr r{static_cast<redisReply*>(
    redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()))};
  if (!r)
    throw std::runtime_error("redis " + words.front() + ": " + ctx_->errstr);
  if (r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis " + words.front() + ": " + std::string(r->str, r->len));
  return reply_text(*r);
}

size_t redis_connection::info_memory(const std::string& field) {
  std::istringstream in{command({"INFO", "memory"})};
  std::string line;
  auto prefix = field + ":";
  while (std::getline(in, line))
    if (line.compare(0, prefix.size(), prefix) == 0)
      return std::stoull(line.substr(prefix.size()));
  throw std::runtime_error("redis INFO memory has no " + field);
}

redis_server::redis_server(const std::string& program, const std::string& work_dir) {
  port_ = free_loopback_port();
  auto log = (std::filesystem::path{work_dir} / ("redis-" + std::to_string(port_) + ".log"))
               .string();
  process_ = std::make_unique<child_process>(
    std::vector<std::string>{program, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--daemonize", "no",
                             "--enable-debug-command", "local", "--dir", work_dir},
    log, false);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  for (;;) {
    try {
      redis_connection conn{port_};
      if (conn.command({"PING"}) == "PONG")
        return;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      process_->stop();
      throw std::runtime_error(program + " did not answer PING on 127.0.0.1:"
                               + std::to_string(port_) + " within 10 s; its log:\n"
                               + process_->log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

std::string redis_server::version() {
  redis_connection conn{port_};
  std::istringstream in{conn.command({"INFO", "server"})};
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 14, "redis_version:") == 0) {
      line.erase(0, 14);
      line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
      return line;
    }
  return "?";
}

void redis_fill(redis_connection& conn, const std::vector<std::string>& keys, const bytes& value) {
  constexpr size_t per_round = 1000;
  auto* ctx = conn.get();
  for (size_t i = 0; i < keys.size(); i += per_round) {
    auto end = std::min(keys.size(), i + per_round);
    for (size_t j = i; j < end; ++j) {
      const char* argv[] = {"SET", keys[j].data(), value.data()};
      size_t lens[] = {3, keys[j].size(), value.size()};
      if (redisAppendCommandArgv(ctx, 3, argv, lens) != REDIS_OK)
        throw std::runtime_error(std::string{"redis SET: "} + ctx->errstr);
    }
    for (size_t j = i; j < end; ++j) {
      void* raw = nullptr;
      if (redisGetReply(ctx, &raw) != REDIS_OK)
        throw std::runtime_error(std::string{"redis SET: "} + ctx->errstr);
      reply_ptr r{static_cast<redisReply*>(raw)};
      if (r->type != REDIS_REPLY_STATUS || std::string(r->str, r->len) != "OK")
        throw std::runtime_error("redis SET " + keys[j] + " answered " + reply_text(*r));
    }
  }
}

} // namespace ooo::storage::bench
