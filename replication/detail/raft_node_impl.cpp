#include "replication/detail/raft_node_impl.hpp"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "replication/errc.hpp"

namespace ooo::storage::replication {

namespace {

node_role role_of(int state) {
  switch (state) {
    case RAFT_FOLLOWER:
      return node_role::follower;
    case RAFT_CANDIDATE:
      return node_role::candidate;
    case RAFT_LEADER:
      return node_role::leader;
    default:
      return node_role::unavailable;
  }
}

} // namespace

using detail::adapter_hooks;
using detail::snapshot_thread;

raft_node::impl::impl(node_config config, state_machine& machine)
  : cfg(std::move(config)),
    adapter(machine, snapshot_thread::worker,
            adapter_hooks{[this](uint64_t index) { return ticket_at(index); },
                          [this](uint64_t index, bytes outcome) {
                            keep_outcome(index, std::move(outcome));
                          },
                          [this](const std::string& what) { note_failure(what); }}) {
  std::memset(&loop, 0, sizeof(loop));
  std::memset(&wakeup, 0, sizeof(wakeup));
  std::memset(&refresh, 0, sizeof(refresh));
  std::memset(&transport, 0, sizeof(transport));
  std::memset(&io, 0, sizeof(io));
  std::memset(&server, 0, sizeof(server));
}

uint64_t raft_node::impl::ticket_at(uint64_t index) const {
  auto i = proposals.find(index);
  return i == proposals.end() ? 0 : i->second->ticket;
}

void raft_node::impl::keep_outcome(uint64_t index, bytes outcome) {
  auto i = proposals.find(index);
  if (i != proposals.end())
    i->second->outcome = std::move(outcome);
}

void raft_node::impl::note_failure(const std::string& what) {
  std::lock_guard<std::mutex> guard{status_mtx};
  cached.last_failure = what;
}

caf::error raft_node::impl::error_of(int rv) {
  if (closing)
    return make_error(errc::shutting_down);
  if (rv == RAFT_NOTLEADER) {
    raft_id id = 0;
    const char* address = nullptr;
    raft_leader(&server, &id, &address);
    return make_not_leader(id, address ? address : "");
  }
  return from_raft_code(rv, raft_errmsg(&server));
}

void raft_node::impl::on_applied(struct raft_apply* req, int status, void*) {
  auto p = static_cast<proposal*>(req->data);
  auto self = p->node;
  auto i = self->proposals.find(req->index);
  if (i != self->proposals.end() && i->second == p)
    self->proposals.erase(i);
  if (status == 0)
    p->done(applied_entry{req->index, std::move(p->outcome)});
  else
    p->done(self->error_of(status));
  delete p;
}

void raft_node::impl::on_barrier(struct raft_barrier* req, int status) {
  auto b = static_cast<barrier_request*>(req->data);
  if (status == 0)
    b->done(req->index);
  else
    b->done(b->node->error_of(status));
  delete b;
}

void raft_node::impl::on_change(raft_change* req, int status) {
  auto c = static_cast<change_request*>(req->data);
  c->done(status == 0 ? caf::error{} : c->node->error_of(status));
  delete c;
}

void raft_node::impl::on_transfer(struct raft_transfer* req) {
  auto t = static_cast<transfer_request*>(req->data);
  auto self = t->node;
  raft_id leader = 0;
  const char* address = nullptr;
  raft_leader(&self->server, &leader, &address);
  if (self->closing)
    t->done(make_error(errc::shutting_down));
  else if (leader != 0 && leader == req->id)
    t->done(leader);
  else
    t->done(make_error(errc::transfer_failed,
                       "member " + std::to_string(req->id) + " did not become leader"));
  delete t;
}

void raft_node::impl::post(command cmd) {
  std::unique_lock<std::mutex> guard{mtx};
  if (!accepting) {
    guard.unlock();
    cmd(false);
    return;
  }
  queue.push_back(std::move(cmd));
  // Under the lock: the loop closes `wakeup` only after it stopped accepting.
  uv_async_send(&wakeup);
}

void raft_node::impl::on_wakeup(uv_async_t* handle) {
  auto self = static_cast<impl*>(handle->data);
  std::vector<command> batch;
  {
    std::lock_guard<std::mutex> guard{self->mtx};
    batch.swap(self->queue);
  }
  for (auto& cmd : batch)
    cmd(!self->closing);
}

void raft_node::impl::on_refresh(uv_check_t* handle) {
  static_cast<impl*>(handle->data)->refresh_status();
}

void raft_node::impl::refresh_status() {
  std::lock_guard<std::mutex> guard{status_mtx};
  auto& s = cached;
  s.id = cfg.id;
  s.address = cfg.address;
  if (closing || !started) {
    s.role = node_role::unavailable;
    s.leader_id = 0;
    s.leader_address.clear();
    return;
  }
  s.role = role_of(raft_state(&server));
  raft_id leader = 0;
  const char* address = nullptr;
  raft_leader(&server, &leader, &address);
  s.leader_id = leader;
  s.leader_address = address ? address : "";
  s.term = server.current_term;
  s.commit_index = server.commit_index;
  s.applied = raft_last_applied(&server);
  s.last_index = raft_last_index(&server);
  s.snapshot_index = server.log.snapshot.last_index;
  auto version = std::make_tuple(server.configuration_index,
                                 server.configuration_uncommitted_index,
                                 server.configuration.n);
  if (version != members_version) {
    members_version = version;
    s.members.clear();
    for (unsigned i = 0; i < server.configuration.n; ++i) {
      auto& x = server.configuration.servers[i];
      s.members.push_back(member{x.id, x.address, static_cast<member_role>(x.role)});
    }
  }
}

std::string raft_node::impl::last_message() const {
  for (const char* text : {server.errmsg, io.errmsg, transport.errmsg})
    if (text[0] != '\0')
      return text;
  return "";
}

std::string raft_node::impl::start_failure_detail() const {
  auto text = last_message();
  auto colon = cfg.address.rfind(':');
  sockaddr_in addr{};
  if (uv_ip4_addr(cfg.address.substr(0, colon).c_str(),
                  std::stoi(cfg.address.substr(colon + 1)), &addr)
      == 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) {
      if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
          && errno == EADDRINUSE)
        text = cfg.address + " is in use";
      ::close(fd);
    }
  }
  return "cannot start on " + cfg.address + " with data in '" + cfg.data_dir + "'"
         + (text.empty() ? std::string{} : ": " + text);
}

void raft_node::impl::run() {
  loop_thread.store(std::this_thread::get_id());
  // libuv writes to sockets with write(2): a peer that closed its end would raise SIGPIPE,
  // whose default action ends the process. Blocked in this thread (where the writes
  // happen), the write fails with EPIPE instead, without touching the process's handlers.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  bool close_now;
  done_callback started_cb;
  {
    std::lock_guard<std::mutex> guard{mtx};
    close_now = close_requested;
    started_cb = std::move(start_done);
  }
  if (!close_now) {
    auto rv = raft_start(&server);
    if (rv == 0) {
      started = true;
      refresh_status();
      if (started_cb)
        started_cb(caf::error{});
    } else {
      auto err = from_raft_code(rv, start_failure_detail());
      if (started_cb)
        started_cb(err);
      begin_close();
    }
  } else if (started_cb) {
    started_cb(make_error(errc::shutting_down));
  }
  if (close_now)
    begin_close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> guard{mtx};
    finished = true;
    callbacks.swap(closed_callbacks);
  }
  for (auto& f : callbacks)
    if (f)
      f();
}

void raft_node::impl::begin_close() {
  if (closing)
    return;
  closing = true;
  std::vector<command> refused;
  {
    std::lock_guard<std::mutex> guard{mtx};
    accepting = false;
    refused.swap(queue);
  }
  for (auto& cmd : refused)
    cmd(false);
  refresh_status();
  // Fails what is pending (callbacks fire with RAFT_LEADERSHIPLOST or the like, which
  // error_of turns into shutting_down), then closes the I/O; on_raft_closed follows.
  raft_close(&server, on_raft_closed);
}

void raft_node::impl::on_raft_closed(raft* server) {
  auto self = static_cast<impl*>(server->data);
  raft_uv_close(&self->io);
  raft_uv_tcp_close(&self->transport);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->wakeup), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->refresh), nullptr);
}

} // namespace ooo::storage::replication
