// ooo-write-load: durable writes from R requesters, each with one write in flight, as fast as
// the server acknowledges them; the same load against an ooo-storaged node (a group's leader
// or a node on its own, over CAF) and against etcd 3.4 (its HTTP gateway, `/v3/kv/put`).
// Each write is a new key (`bench/R/I`) with a value of SIZE bytes. Prints one JSON line:
//   {"target","writes","seconds","ops_per_s","p50_us","p99_us","cpu_us_per_write"}
// (client CPU, all threads, from getrusage).
//
//   ooo-write-load ooo HOST:PORT [--requesters 64] [--writes 20000] [--size 64]
//   ooo-write-load etcd HOST:PORT [...]
//
// Exit codes: 0 every write acknowledged; 1 a write failed (the error is printed); 2 usage.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "messages/errc.hpp"
#include "messages/register_types.hpp"
#include "messages/store_actor.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct load {
  std::string host;
  uint16_t port = 0;
  int requesters = 64;
  int writes = 20000;
  int size = 64;
};

/// Latencies of one requester, in microseconds, and the first error it met.
struct requester_result {
  std::vector<uint32_t> latencies;
  std::string error;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// Runs `per_requester(r, count, result)` on R threads, each writing its share, and reports.
template <class F>
int measure(const std::string& target, const load& l, F per_requester) {
  std::vector<requester_result> results(l.requesters);
  std::vector<std::thread> threads;
  auto cpu_before = cpu_seconds();
  auto began = clock_type::now();
  for (int r = 0; r < l.requesters; ++r) {
    int count = l.writes / l.requesters + (r < l.writes % l.requesters ? 1 : 0);
    threads.emplace_back([&, r, count] { per_requester(r, count, results[r]); });
  }
  for (auto& t : threads)
    t.join();
  auto seconds = std::chrono::duration<double>(clock_type::now() - began).count();
  auto cpu = cpu_seconds() - cpu_before;
  std::vector<uint32_t> all;
  for (auto& res : results) {
    if (!res.error.empty()) {
      std::cerr << "error: " << res.error << std::endl;
      return 1;
    }
    all.insert(all.end(), res.latencies.begin(), res.latencies.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0u : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  nlohmann::ordered_json out;
  out["target"] = target;
  out["writes"] = all.size();
  out["seconds"] = seconds;
  out["ops_per_s"] = static_cast<double>(all.size()) / seconds;
  out["p50_us"] = pct(0.5);
  out["p99_us"] = pct(0.99);
  out["cpu_us_per_write"] = cpu * 1e6 / std::max<size_t>(1, all.size());
  std::cout << out.dump() << std::endl;
  return 0;
}

std::string value_of(int size) {
  // JSON, so that the gateway and etcd store the same kind of bytes.
  std::string v = "{\"v\":\"";
  while (static_cast<int>(v.size()) < size - 2)
    v += 'x';
  return v + "\"}";
}

int run_ooo(const load& l) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  ooo::storage::register_types(cfg);
  caf::actor_system sys{cfg};
  caf::actor store;
  {
    caf::scoped_actor self{sys};
    self->request(sys.middleman().actor_handle(), 10s, caf::connect_atom::value, l.host, l.port)
      .receive(
        [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
          store = caf::actor_cast<caf::actor>(std::move(ptr));
        },
        [&](caf::error& err) { std::cerr << "error: " << sys.render(err) << std::endl; });
  }
  if (!store)
    return 1;
  auto value = value_of(l.size);
  return measure("ooo", l, [&](int r, int count, requester_result& res) {
    caf::scoped_actor self{sys};
    ooo::storage::bytes data(value.begin(), value.end());
    for (int i = 0; i < count && res.error.empty(); ++i) {
      auto key = "bench/" + std::to_string(r) + "/" + std::to_string(i);
      auto t0 = clock_type::now();
      self->request(store, 30s, ooo::storage::set_atom::value, key, data,
                    ooo::storage::write_options{})
        .receive([](ooo::storage::receipt&) {},
                 [&](caf::error& err) {
                   res.error = key + ": "
                               + (err.category() == ooo::storage::error_category
                                    ? ooo::storage::render(err)
                                    : sys.render(err));
                 });
      res.latencies.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count()));
    }
  });
}

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8)
             | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += table[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    auto n = uint32_t(uint8_t(in[i])) << 16;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    auto n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

int run_etcd(const load& l) {
  auto value64 = base64(value_of(l.size));
  return measure("etcd", l, [&](int r, int count, requester_result& res) {
    try {
      boost::asio::io_context io;
      tcp::resolver resolver{io};
      beast::tcp_stream stream{io};
      stream.connect(resolver.resolve(l.host, std::to_string(l.port)));
      beast::flat_buffer buffer;
      for (int i = 0; i < count; ++i) {
        auto key = "bench/" + std::to_string(r) + "/" + std::to_string(i);
        http::request<http::string_body> req{http::verb::post, "/v3/kv/put", 11};
        req.set(http::field::host, l.host);
        req.set(http::field::content_type, "application/json");
        req.keep_alive(true);
        req.body() = "{\"key\":\"" + base64(key) + "\",\"value\":\"" + value64 + "\"}";
        req.prepare_payload();
        auto t0 = clock_type::now();
        http::write(stream, req);
        http::response<http::string_body> resp;
        http::read(stream, buffer, resp);
        res.latencies.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0)
            .count()));
        if (resp.result() != http::status::ok) {
          res.error = key + ": HTTP " + std::to_string(resp.result_int()) + " " + resp.body();
          return;
        }
      }
    } catch (const std::exception& e) {
      res.error = std::string{"etcd: "} + e.what();
    }
  });
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ooo-write-load: durable writes, R requesters, one write in flight each"};
  std::string target;
  std::string address;
  load l;
  app.add_option("TARGET", target, "ooo or etcd")->required()->check(CLI::IsMember({"ooo", "etcd"}));
  app.add_option("ADDRESS", address, "HOST:PORT (ooo: the CAF port; etcd: the client URL's)")
    ->required();
  app.add_option("--requesters", l.requesters)->check(CLI::Range(1, 1024));
  app.add_option("--writes", l.writes)->check(CLI::Range(1, 100000000));
  app.add_option("--size", l.size, "value bytes")->check(CLI::Range(16, 1 << 20));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "error: ADDRESS must be HOST:PORT" << std::endl;
    return 2;
  }
  l.host = address.substr(0, colon);
  l.port = static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
  return target == "ooo" ? run_ooo(l) : run_etcd(l);
}
