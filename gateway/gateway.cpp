#include "gateway/gateway.hpp"

#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "caf/sec.hpp"

#include "gateway/listener.hpp"

namespace ooo::storage::gateway {

namespace net = boost::asio;

/// Members in the order they must go away (reverse of declaration): threads joined first, then
/// the I/O context with every handler it still holds, then what those handlers refer to.
struct http_gateway::state {
  gateway_settings settings;
  gateway_metrics metrics;
  connection_limit limit;
  open_channels channels;
  std::unique_ptr<store_client> store;
  std::unique_ptr<routes> http_routes;
  std::unique_ptr<gateway_context> ctx;
  net::io_context ioc;
  std::shared_ptr<listener> acceptor;
  std::vector<std::thread> threads;
  std::string address;
  bool stopped = false;

  explicit state(const gateway_settings& s) : settings(s), limit(s.max_connections, metrics) {
    // nop
  }
};

http_gateway::http_gateway(std::unique_ptr<state> st) : st_(std::move(st)) {
  // nop
}

http_gateway::~http_gateway() {
  stop();
}

caf::expected<std::unique_ptr<http_gateway>>
http_gateway::start(caf::actor_system& sys, caf::strong_actor_ptr store,
                    const gateway_settings& settings) {
  auto st = std::make_unique<state>(settings);
  boost::system::error_code ec;
  auto host = settings.host == "localhost" ? std::string{"127.0.0.1"} : settings.host;
  auto ip = net::ip::make_address(host, ec);
  if (ec)
    return caf::make_error(caf::sec::invalid_argument,
                           "--http: '" + settings.host + "' is not an IP address");
  st->store = std::make_unique<store_client>(sys, std::move(store));
  st->http_routes = std::make_unique<routes>(*st->store, st->metrics, st->settings);
  st->ctx.reset(new gateway_context{*st->http_routes, *st->store, st->metrics, st->settings,
                                    st->limit, st->channels});
  st->acceptor = std::make_shared<listener>(st->ioc, *st->ctx);
  std::string error;
  if (!st->acceptor->open({ip, settings.port}, error)) {
    st->store->stop();
    return caf::make_error(caf::sec::cannot_open_port,
                           "--http: cannot listen on " + settings.host + ":"
                             + std::to_string(settings.port) + ": " + error);
  }
  auto local = st->acceptor->local();
  st->address = local.address().to_string() + ":" + std::to_string(local.port());
  st->acceptor->run();
  // JSON rendering and patches run here, next to CAF's workers: two threads share the load
  // of many connections without taking the machine.
  auto n = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
  for (unsigned i = 0; i < n; ++i)
    st->threads.emplace_back([ioc = &st->ioc] { ioc->run(); });
  return std::unique_ptr<http_gateway>{new http_gateway(std::move(st))};
}

std::string http_gateway::address() const {
  return st_->address;
}

void http_gateway::stop() {
  if (!st_ || st_->stopped)
    return;
  st_->stopped = true;
  st_->acceptor->stop();
  st_->channels.close_all();
  // Give the close handshakes a moment; peers that do not answer are cut off below.
  for (int i = 0; i < 100 && st_->channels.size() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  st_->ioc.stop();
  for (auto& t : st_->threads)
    t.join();
  st_->threads.clear();
  // No callback of the store may reach a connection from here on.
  st_->store->stop();
}

} // namespace ooo::storage::gateway
