#include "gateway/ws_accept.hpp"

#include <deque>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "gateway/request_body.hpp"

namespace ooo::storage::gateway {

ws_peer::~ws_peer() {
  // nop
}

void ws_peer::prepare(std::function<void()> ready) {
  ready();
}

ws_channel::~ws_channel() {
  // nop
}

uint64_t open_channels::add(std::weak_ptr<ws_channel> channel) {
  std::lock_guard<std::mutex> guard{mutex_};
  channels_.emplace(++last_id_, std::move(channel));
  return last_id_;
}

void open_channels::remove(uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  channels_.erase(id);
}

void open_channels::close_all() {
  std::vector<std::shared_ptr<ws_channel>> open;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto& [id, weak] : channels_)
      if (auto channel = weak.lock())
        open.push_back(std::move(channel));
  }
  for (auto& channel : open)
    channel->post([channel] { channel->close(); });
}

size_t open_channels::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return channels_.size();
}

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

/// A peer that reads slower than it is fed holds back the store's events (see
/// `ws_subscription`) once this much waits to be written.
constexpr size_t congested_bytes = 1u << 20;
constexpr size_t congested_frames = 256;

class beast_channel : public ws_channel, public std::enable_shared_from_this<beast_channel> {
public:
  beast_channel(beast::tcp_stream stream, peer_factory make_peer, connection_slot slot,
                open_channels& registry)
    : ws_(std::move(stream)),
      make_peer_(std::move(make_peer)),
      slot_(std::move(slot)),
      registry_(registry) {
    // nop
  }

  ~beast_channel() override {
    if (registered_)
      registry_.remove(id_);
  }

  void start(http::request<http::string_body> req, const ws_options& options) {
    id_ = registry_.add(weak_from_this());
    registered_ = true;
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = std::chrono::seconds{30};
    timeouts.idle_timeout = options.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    auto bearer = options.select_bearer;
    ws_.set_option(websocket::stream_base::decorator([bearer](websocket::response_type& res) {
      res.set(http::field::server, "ooo-storaged");
      if (bearer)
        res.set(http::field::sec_websocket_protocol, "bearer");
    }));
    ws_.read_message_max(max_body_size);
    ws_.binary(true);
    request_ = std::move(req);
    peer_ = make_peer_(weak_from_this());
    make_peer_ = nullptr;
    peer_->prepare([self = shared_from_this()] {
      self->post([self] { self->accept(); });
    });
  }

  void post(std::function<void()> fn) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), fn = std::move(fn)] {
      if (!self->done_)
        fn();
    });
  }

  void send(std::string frame) override {
    if (done_ || closing_)
      return;
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (accepted_ && !writing_)
      write_next();
  }

  bool congested() const override {
    auto result = queued_bytes_ > congested_bytes || queue_.size() > congested_frames;
    if (result)
      was_congested_ = true;
    return result;
  }

  void close(std::string reason) override {
    if (done_ || closing_)
      return;
    closing_ = true;
    close_reason_ = std::move(reason);
    if (accepted_ && !writing_)
      send_close();
  }

  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor(), delay);
    timer->async_wait(
      [self = shared_from_this(), timer, fn = std::move(fn)](beast::error_code ec) {
        if (!ec && !self->done_)
          fn();
      });
  }

private:
  void accept() {
    if (accepting_)
      return;
    accepting_ = true;
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      self->on_accept(ec);
    });
  }

  void on_accept(beast::error_code ec) {
    request_ = {};
    if (ec)
      return finish();
    accepted_ = true;
    read_next();
    if (!queue_.empty())
      write_next();
    else if (closing_)
      send_close();
    if (peer_)
      peer_->opened();
  }

  void read_next() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec)
        return self->finish();
      // ooo's clients send nothing that matters; control frames are handled by Beast.
      self->in_.consume(self->in_.size());
      self->read_next();
    });
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(net::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->on_write(ec);
                    });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec)
      return finish();
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty())
      return write_next();
    if (closing_)
      return send_close();
    if (was_congested_) {
      was_congested_ = false;
      if (peer_)
        peer_->drained();
    }
  }

  void send_close() {
    websocket::close_reason why{websocket::close_code::going_away};
    if (!close_reason_.empty())
      why = websocket::close_reason{websocket::close_code::internal_error,
                                    close_reason_.substr(0, 120)};
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) {
      // The read loop ends once the peer answers the close (or the timeout fires).
    });
  }

  void finish() {
    if (done_)
      return;
    done_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    if (peer_) {
      peer_->closed();
      peer_.reset();
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  websocket::stream<beast::tcp_stream> ws_;
  /// The upgrade request, kept until the handshake.
  http::request<http::string_body> request_;
  bool accepting_ = false;
  bool accepted_ = false;
  beast::flat_buffer in_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  mutable bool was_congested_ = false;
  bool closing_ = false;
  bool done_ = false;
  std::string close_reason_;
  std::shared_ptr<ws_peer> peer_;
  peer_factory make_peer_;
  connection_slot slot_;
  open_channels& registry_;
  uint64_t id_ = 0;
  bool registered_ = false;
};

} // namespace

void accept_websocket(beast::tcp_stream stream, http::request<http::string_body> req,
                      ws_options options, peer_factory make_peer, connection_slot slot,
                      open_channels& registry) {
  // The HTTP layer's timer must not cut the WebSocket: Beast's own timeouts take over.
  stream.expires_never();
  auto channel = std::make_shared<beast_channel>(std::move(stream), std::move(make_peer),
                                                 std::move(slot), registry);
  channel->start(std::move(req), options);
}

} // namespace ooo::storage::gateway
