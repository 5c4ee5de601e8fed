#include "bench/redis_fan_out.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include "bench/bench.hpp"
#include "bench/load.hpp"

namespace ooo::storage::bench {

namespace {

/// User + system CPU seconds of process `pid` so far (/proc/PID/stat).
double cpu_seconds_of(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  auto pos = text.rfind(')');
  if (pos == std::string::npos)
    return 0;
  std::istringstream fields{text.substr(pos + 2)};
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void free_reply(void* r) {
  if (r)
    freeReplyObject(r);
}

/// Reads every complete message `ctx` has buffered and returns how many there were. After
/// PSUBSCRIBE a connection receives nothing but `pmessage` arrays, and its reader has no reply
/// functions (see below), so each complete reply is one message, delimited but not copied into
/// reply objects: the receiver costs what parsing the protocol costs, nothing more.
size_t drain(redisContext* ctx) {
  size_t messages = 0;
  for (;;) {
    void* reply = nullptr;
    if (redisGetReplyFromReader(ctx, &reply) != REDIS_OK)
      throw std::runtime_error(std::string{"redis subscriber: "} + ctx->errstr);
    if (reply == nullptr)
      return messages;
    // Without reply functions hiredis hands out the reply's type as the pointer.
    if (reply != reinterpret_cast<void*>(REDIS_REPLY_ARRAY))
      throw std::runtime_error("redis subscriber: a reply that is not a pub/sub message");
    ++messages;
  }
}

} // namespace

fan_out_result redis_fan_out(const redis_server& server, size_t subscribers, size_t writes,
                             size_t window, size_t receivers, const bytes& value) {
  receivers = std::max<size_t>(1, receivers);
  std::vector<std::unique_ptr<redis_connection>> subs;
  for (size_t i = 0; i < subscribers; ++i) {
    subs.push_back(std::make_unique<redis_connection>(server.port()));
    auto* ctx = subs.back()->get();
    void* raw = redisCommand(ctx, "PSUBSCRIBE users/*");
    if (raw == nullptr)
      throw std::runtime_error(std::string{"redis PSUBSCRIBE: "} + ctx->errstr);
    free_reply(raw);
    // From here on only delimit messages (hiredis's reader builds no reply objects without
    // its functions), as a subscriber that counts them needs no more.
    ctx->reader->fn = nullptr;
  }
  const uint64_t expected = static_cast<uint64_t>(subscribers) * writes;
  std::atomic<uint64_t> received{0};
  std::atomic<bool> failed{false};
  std::string failure;
  const auto deadline = clock_type::now() + std::chrono::seconds{120};
  std::atomic<bool> give_up{false}; // the publisher failed: stop waiting
  // The receivers: `receivers` threads, each polling its share of the subscriber connections
  // (the store's subscribers share its scheduler's threads in the same way).
  std::mutex failure_mtx;
  auto receive = [&](size_t first) {
    try {
      std::vector<pollfd> fds;
      std::vector<redisContext*> ctxs;
      for (size_t i = first; i < subs.size(); i += receivers) {
        fds.push_back(pollfd{subs[i]->get()->fd, POLLIN, 0});
        ctxs.push_back(subs[i]->get());
      }
      while (received.load(std::memory_order_relaxed) < expected) {
        if (give_up.load() || failed.load())
          return;
        if (clock_type::now() >= deadline)
          throw std::runtime_error("redis fan-out: " + std::to_string(received.load()) + " of "
                                   + std::to_string(expected) + " messages after 120 s");
        if (::poll(fds.data(), fds.size(), 100) <= 0)
          continue;
        for (size_t i = 0; i < fds.size(); ++i) {
          if (fds[i].revents == 0)
            continue;
          if (redisBufferRead(ctxs[i]) != REDIS_OK)
            throw std::runtime_error(std::string{"redis subscriber: "} + ctxs[i]->errstr);
          received.fetch_add(drain(ctxs[i]), std::memory_order_relaxed);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> guard{failure_mtx};
      failure = e.what();
      failed = true;
    }
  };
  std::vector<std::thread> receiver_threads;
  for (size_t r = 0; r < std::min(receivers, subscribers); ++r)
    receiver_threads.emplace_back(receive, r);
  redis_connection publisher{server.port()};
  auto* ctx = publisher.get();
  auto publish = [&](size_t i) {
    auto channel = "users/" + std::to_string(i);
    const char* argv[] = {"PUBLISH", channel.data(), value.data()};
    size_t lens[] = {7, channel.size(), value.size()};
    if (redisAppendCommandArgv(ctx, 3, argv, lens) != REDIS_OK)
      throw std::runtime_error(std::string{"redis PUBLISH: "} + ctx->errstr);
  };
  auto cpu0 = cpu_seconds_of(server.pid());
  auto own_cpu0 = process_cpu_seconds();
  auto t0 = clock_type::now();
  size_t sent = 0;
  std::string publish_error;
  try {
    for (; sent < std::min(window, writes); ++sent)
      publish(sent);
    for (size_t answered = 0; answered < writes; ++answered) {
      void* raw = nullptr;
      if (redisGetReply(ctx, &raw) != REDIS_OK)
        throw std::runtime_error(std::string{"redis PUBLISH: "} + ctx->errstr);
      auto* r = static_cast<redisReply*>(raw);
      auto reached = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
      free_reply(raw);
      if (reached != static_cast<long long>(subscribers))
        throw std::runtime_error("redis PUBLISH reached " + std::to_string(reached) + " of "
                                 + std::to_string(subscribers) + " subscribers");
      if (sent < writes)
        publish(sent++);
    }
  } catch (const std::exception& e) {
    publish_error = e.what();
    give_up = true;
  }
  for (auto& th : receiver_threads)
    th.join();
  auto seconds = seconds_since(t0);
  auto cpu = cpu_seconds_of(server.pid()) - cpu0;
  auto own_cpu = process_cpu_seconds() - own_cpu0;
  if (!publish_error.empty())
    throw std::runtime_error(publish_error);
  if (failed)
    throw std::runtime_error(failure);
  if (received.load() != expected)
    throw std::runtime_error("redis fan-out: " + std::to_string(received.load()) + " of "
                             + std::to_string(expected) + " messages");
  auto n = static_cast<double>(expected);
  return {n / seconds, cpu * 1e6 / n, own_cpu * 1e6 / n};
}

} // namespace ooo::storage::bench
