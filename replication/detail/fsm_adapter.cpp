#include "replication/detail/fsm_adapter.hpp"

#include <cstring>

#include "replication/detail/entry_frame.hpp"
#include "replication/errc.hpp"

namespace ooo::storage::replication::detail {

namespace {

/// The first 8 header bytes: a name and a format version, so that a restore recognises a
/// snapshot written by something else instead of misreading it.
constexpr char header_magic[8] = {'o', 'o', 'o', 'r', 'a', 'f', 't', 1};

fsm_adapter& self_of(raft_fsm* fsm) {
  return *static_cast<fsm_adapter*>(fsm->data);
}

} // namespace

fsm_adapter::fsm_adapter(state_machine& machine, snapshot_thread where, adapter_hooks hooks)
  : machine_(machine), hooks_(std::move(hooks)) {
  std::memset(&fsm_, 0, sizeof(fsm_));
  fsm_.data = this;
  fsm_.apply = apply_cb;
  fsm_.snapshot = snapshot_cb;
  fsm_.restore = restore_cb;
  fsm_.snapshot_finalize = snapshot_finalize_cb;
  if (where == snapshot_thread::worker) {
    fsm_.version = 3;
    fsm_.snapshot_async = snapshot_async_cb;
  } else {
    fsm_.version = 2;
  }
}

bytes fsm_adapter::make_header(uint64_t index) {
  bytes out(header_size);
  std::memcpy(out.data(), header_magic, sizeof(header_magic));
  for (size_t i = 0; i < 8; ++i)
    out[8 + i] = static_cast<char>((index >> (8 * i)) & 0xff);
  return out;
}

bool fsm_adapter::read_header(const char* data, size_t size, uint64_t& index) {
  if (size < header_size || std::memcmp(data, header_magic, sizeof(header_magic)) != 0)
    return false;
  index = 0;
  for (size_t i = 0; i < 8; ++i)
    index |= uint64_t{static_cast<unsigned char>(data[8 + i])} << (8 * i);
  return true;
}

void fsm_adapter::report(const std::string& what) {
  if (hooks_.failure)
    hooks_.failure(what);
}

int fsm_adapter::apply_cb(raft_fsm* fsm, const raft_buffer* buf, void** result) {
  auto& self = self_of(fsm);
  *result = nullptr;
  committed_entry entry;
  // libraft applies entries strictly in order and advances last_applied after this call.
  entry.index = raft_last_applied(self.raft_) + 1;
  if (!unframe(*buf, entry.data, entry.size)) {
    // Not written by raft_node::propose. Failing here stops applying on this node (libraft
    // retries the same entry), which beats applying garbage; status() says why.
    self.report("entry " + std::to_string(entry.index) + " (" + std::to_string(buf->len)
                + " bytes) is not a framed command");
    return RAFT_MALFORMED;
  }
  entry.ticket = self.hooks_.ticket_at ? self.hooks_.ticket_at(entry.index) : 0;
  auto outcome = self.machine_.apply(entry);
  if (entry.ticket != 0 && self.hooks_.outcome)
    self.hooks_.outcome(entry.index, std::move(outcome));
  return 0;
}

int fsm_adapter::produce(raft_buffer* bufs[], unsigned* n_bufs) {
  auto image = machine_.snapshot(pending_index_);
  if (!image) {
    report("snapshot at index " + std::to_string(pending_index_) + ": "
           + render(image.error()));
    return RAFT_IOERR;
  }
  pending_ = std::move(*image);
  pending_header_ = make_header(pending_index_);
  pending_bufs_.clear();
  pending_bufs_.push_back(raft_buffer{pending_header_.data(), pending_header_.size()});
  for (auto& chunk : pending_.chunks)
    if (!chunk.empty())
      pending_bufs_.push_back(raft_buffer{chunk.data(), chunk.size()});
  *bufs = pending_bufs_.data();
  *n_bufs = static_cast<unsigned>(pending_bufs_.size());
  return 0;
}

int fsm_adapter::snapshot_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
  auto& self = self_of(fsm);
  // libraft takes the snapshot at last_applied (the snapshot's index is set to it).
  self.pending_index_ = raft_last_applied(self.raft_);
  if (fsm->version >= 3) {
    // The content follows in snapshot_async_cb, on a worker thread.
    *bufs = nullptr;
    *n_bufs = 0;
    return 0;
  }
  auto rv = self.produce(bufs, n_bufs);
  // libraft treats RAFT_BUSY as transient here and simply retries at the next threshold.
  return rv == 0 ? 0 : RAFT_BUSY;
}

int fsm_adapter::snapshot_async_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
  return self_of(fsm).produce(bufs, n_bufs);
}

int fsm_adapter::snapshot_finalize_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
  auto& self = self_of(fsm);
  self.pending_bufs_.clear();
  self.pending_.chunks.clear();
  self.pending_header_.clear();
  *bufs = nullptr;
  *n_bufs = 0;
  return 0;
}

int fsm_adapter::restore_cb(raft_fsm* fsm, raft_buffer* buf) {
  auto& self = self_of(fsm);
  auto data = static_cast<const char*>(buf->base);
  uint64_t index = 0;
  if (!read_header(data, buf->len, index)) {
    self.report("restore: the snapshot (" + std::to_string(buf->len)
                + " bytes) does not start with our header");
    return RAFT_MALFORMED;
  }
  bytes image(data + header_size, data + buf->len);
  auto err = self.machine_.restore(index, std::move(image));
  if (err) {
    self.report("restore of the snapshot at index " + std::to_string(index) + ": "
                + render(err));
    return RAFT_IOERR;
  }
  // On success the buffer belongs to us (libraft frees it itself only on failure).
  raft_free(buf->base);
  return 0;
}

} // namespace ooo::storage::replication::detail
