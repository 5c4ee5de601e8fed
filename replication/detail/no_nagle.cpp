#include "replication/detail/no_nagle.hpp"

#include <atomic>

namespace ooo::storage::replication::detail {

namespace {

using connect_function = int (*)(struct raft_uv_transport*, struct raft_uv_connect*, raft_id,
                                 const char*, raft_uv_connect_cb);

/// libraft's own connect of its TCP transport: the same function for every transport.
std::atomic<connect_function> tcp_connect{nullptr};

/// Our request in front of libraft's: its callback sets the option, then answers libraft's.
struct connect_request {
  struct raft_uv_connect inner;
  struct raft_uv_connect* outer = nullptr;
  raft_uv_connect_cb outer_cb = nullptr;
};

void on_connected(struct raft_uv_connect* req, struct uv_stream_s* stream, int status) {
  auto* own = static_cast<connect_request*>(req->data);
  if (status == 0 && stream != nullptr && stream->type == UV_TCP)
    uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(stream), 1);
  auto* outer = own->outer;
  auto cb = own->outer_cb;
  delete own;
  cb(outer, stream, status);
}

int connect_without_delay(struct raft_uv_transport* t, struct raft_uv_connect* req, raft_id id,
                          const char* address, raft_uv_connect_cb cb) {
  auto* own = new connect_request;
  own->inner.data = own;
  own->outer = req;
  own->outer_cb = cb;
  auto rv = tcp_connect.load()(t, &own->inner, id, address, on_connected);
  if (rv != 0)
    delete own;
  return rv;
}

} // namespace

void send_without_delay(struct raft_uv_transport& transport) {
  tcp_connect.store(transport.connect);
  transport.connect = connect_without_delay;
}

} // namespace ooo::storage::replication::detail
