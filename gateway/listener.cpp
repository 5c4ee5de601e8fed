#include "gateway/listener.hpp"

#include <boost/asio/strand.hpp>

#include "gateway/http_session.hpp"

namespace ooo::storage::gateway {

namespace net = boost::asio;

listener::listener(net::io_context& ioc, gateway_context& ctx)
  : ioc_(ioc), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()), ctx_(ctx) {
  // nop
}

bool listener::open(const net::ip::tcp::endpoint& at, std::string& error) {
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    error = std::string{what} + ": " + ec.message();
    acceptor_.close(ec);
    return false;
  };
  if (acceptor_.open(at.protocol(), ec); ec)
    return fail("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec)
    return fail("set_option");
  if (acceptor_.bind(at, ec); ec)
    return fail("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec)
    return fail("listen");
  return true;
}

net::ip::tcp::endpoint listener::local() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::run() {
  accept_next();
}

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->retry_.cancel();
  });
}

void listener::accept_next() {
  acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](
                                                   boost::system::error_code ec,
                                                   net::ip::tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open())
      return;
    if (ec) {
      // Out of file descriptors, say: try again shortly rather than spin.
      self->retry_.expires_after(std::chrono::milliseconds{100});
      self->retry_.async_wait([self](boost::system::error_code wait_ec) {
        if (!wait_ec)
          self->accept_next();
      });
      return;
    }
    if (auto slot = take_slot(self->ctx_.limit))
      serve_http(std::move(socket), self->ctx_, std::move(slot));
    else
      refuse_connection(std::move(socket));
    self->accept_next();
  });
}

} // namespace ooo::storage::gateway
