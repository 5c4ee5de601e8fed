#include "gateway/http_session.hpp"

#include <array>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "gateway/listener.hpp"
#include "gateway/request_body.hpp"
#include "gateway/ws_accept.hpp"
#include "gateway/ws_clock.hpp"
#include "gateway/ws_subscription.hpp"

namespace ooo::storage::gateway {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

using namespace std::chrono_literals;

/// Reading one request (headers and body) may take this long; so may waiting for the next
/// request on a kept-alive connection.
constexpr auto read_timeout = 30s;
constexpr size_t max_header_size = 64u << 10;
/// After refusing a request, what the client still sends is read and dropped for this long, up
/// to this much, so that it gets to read the answer.
constexpr auto linger_time = 5s;
constexpr size_t linger_bytes = 32u << 20;

bool iequals(beast::string_view a, beast::string_view b) {
  return beast::iequals(a, b);
}

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(net::ip::tcp::socket socket, gateway_context& ctx, connection_slot slot)
    : stream_(std::move(socket)), ctx_(ctx), slot_(std::move(slot)) {
    // nop
  }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

private:
  void read_header() {
    parser_.emplace();
    parser_->body_limit(max_body_size);
    parser_->header_limit(max_header_size);
    stream_.expires_after(read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit)
      return refuse(431, "Request Header Fields Too Large", operation::other);
    // A Content-Length over the body limit fails here already, before any body is read.
    if (ec == http::error::body_limit)
      return refuse(413, "Request Entity Too Large", operation::other);
    if (ec)
      return close();
    auto& req = parser_->get();
    if (iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec)
                            return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_request(ec);
                     });
  }

  void on_request(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return refuse(413, "Request Entity Too Large", operation::other);
    if (ec)
      return close();
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    http_request plain;
    plain.method = std::string{req.method_string()};
    plain.target = std::string{req.target()};
    plain.authorization = std::string{req[http::field::authorization]};
    plain.protocols = std::string{req[http::field::sec_websocket_protocol]};
    if (beast::websocket::is_upgrade(req))
      return upgrade(std::move(req), plain);
    plain.body = std::move(req.body());
    stream_.expires_never();
    ctx_.http_routes.handle(std::move(plain), [self = shared_from_this()](http_response res) {
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
  }

  void upgrade(http::request<http::string_body> req, const http_request& plain) {
    auto plan = ctx_.http_routes.plan_upgrade(plain);
    auto op = plan.clock ? operation::clock : operation::subscribe;
    if (plan.refusal) {
      keep_alive_ = false;
      ctx_.http_routes.count(op, plan.refusal->status);
      return write(std::move(*plan.refusal));
    }
    ctx_.http_routes.count(op, 101);
    ws_options options;
    options.idle_timeout = ctx_.settings.idle_timeout;
    options.select_bearer = plan.select_bearer;
    auto& ctx = ctx_;
    peer_factory make_peer;
    if (plan.clock) {
      make_peer = [&ctx](std::weak_ptr<ws_channel> channel) -> std::shared_ptr<ws_peer> {
        return std::make_shared<ws_clock>(std::move(channel), ctx.metrics);
      };
    } else {
      make_peer = [&ctx, key = plan.key,
                   version = plan.version](std::weak_ptr<ws_channel> channel)
        -> std::shared_ptr<ws_peer> {
        return std::make_shared<ws_subscription>(std::move(channel), ctx.store, ctx.metrics,
                                                 key, version);
      };
    }
    accept_websocket(std::move(stream_), std::move(req), options, std::move(make_peer),
                     std::move(slot_), ctx_.channels);
  }

  /// Answers something the routes never saw (the request could not be read whole) and closes
  /// once the client stopped sending: closing at once would reset the connection under a
  /// client still sending its body, and it would never see the answer.
  void refuse(unsigned status, std::string text, operation op) {
    keep_alive_ = false;
    linger_ = true;
    ctx_.http_routes.count(op, status);
    auto res = text_answer(status, std::move(text));
    with_cors(res);
    write(std::move(res));
  }

  /// Reads and drops what the client still sends, for a bounded time and amount.
  void drain(size_t left) {
    if (left == 0)
      return close_now();
    auto chunk = std::make_shared<std::array<char, 64 * 1024>>();
    stream_.async_read_some(net::buffer(*chunk), [self = shared_from_this(), chunk,
                                                  left](beast::error_code ec, size_t n) {
      if (ec)
        return self->close_now();
      self->drain(left > n ? left - n : 0);
    });
  }

  void write(http_response answer) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(answer.status);
    res->set(http::field::server, "ooo-storaged");
    if (!answer.content_type.empty())
      res->set(http::field::content_type, answer.content_type);
    for (auto& [name, value] : answer.headers)
      res->insert(name, value);
    res->body() = std::move(answer.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(read_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_)
        return self->close();
      self->read_header();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    if (linger_) {
      linger_ = false;
      stream_.expires_after(linger_time);
      return drain(linger_bytes);
    }
    stream_.close();
  }

  void close_now() {
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  gateway_context& ctx_;
  connection_slot slot_;
  bool keep_alive_ = false;
  /// Drain before closing (after a refused request).
  bool linger_ = false;
  unsigned version_ = 11;
};

} // namespace

void serve_http(net::ip::tcp::socket socket, gateway_context& ctx, connection_slot slot) {
  std::make_shared<http_session>(std::move(socket), ctx, std::move(slot))->run();
}

void refuse_connection(net::ip::tcp::socket socket) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  auto res = std::make_shared<http::response<http::string_body>>(
    http::status::service_unavailable, 11);
  res->set(http::field::content_type, "text/plain; charset=utf-8");
  res->set(http::field::access_control_allow_origin, "*");
  res->body() = "ooo: too many connections";
  res->keep_alive(false);
  res->prepare_payload();
  stream->expires_after(5s);
  http::async_write(*stream, *res, [stream, res](beast::error_code, size_t) {
    beast::error_code ignored;
    stream->socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream->close();
  });
}

} // namespace ooo::storage::gateway
