#include "replication/raft_node.hpp"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "replication/detail/entry_frame.hpp"
#include "replication/detail/fsm_adapter.hpp"
#include "replication/detail/raft_c.hpp"
#include "replication/errc.hpp"

namespace ooo::storage::replication {

namespace {

// member_role mirrors libraft's role codes, so that converting is a cast.
static_assert(static_cast<int>(member_role::voter) == RAFT_VOTER);
static_assert(static_cast<int>(member_role::standby) == RAFT_STANDBY);
static_assert(static_cast<int>(member_role::spare) == RAFT_SPARE);

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

/// A command queued into the loop: runs there with `alive` true, or is refused with `alive`
/// false (the node is closing), on the loop thread or on the caller's thread.
using command = std::function<void(bool alive)>;

} // namespace

struct raft_node::impl {
  impl(node_config config, state_machine& machine)
    : cfg(std::move(config)),
      adapter(machine, detail::snapshot_thread::worker,
              detail::adapter_hooks{[this](uint64_t index) { return ticket_at(index); },
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

  // -- requests in flight (loop thread only) --------------------------------------------------

  struct proposal {
    struct raft_apply req;
    impl* node;
    uint64_t ticket;
    applied_callback done;
    bytes outcome;
  };

  struct barrier_request {
    struct raft_barrier req;
    impl* node;
    index_callback done;
  };

  struct change_request {
    raft_change req;
    impl* node;
    done_callback done;
  };

  struct transfer_request {
    struct raft_transfer req;
    impl* node;
    index_callback done;
  };

  uint64_t ticket_at(uint64_t index) const {
    auto i = proposals.find(index);
    return i == proposals.end() ? 0 : i->second->ticket;
  }

  void keep_outcome(uint64_t index, bytes outcome) {
    auto i = proposals.find(index);
    if (i != proposals.end())
      i->second->outcome = std::move(outcome);
  }

  void note_failure(const std::string& what) {
    std::lock_guard<std::mutex> guard{status_mtx};
    cached.last_failure = what;
  }

  /// The error for a libraft code; `not_leader` names the leader this node knows of.
  caf::error error_of(int rv) {
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

  static void on_applied(struct raft_apply* req, int status, void*) {
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

  static void on_barrier(struct raft_barrier* req, int status) {
    auto b = static_cast<barrier_request*>(req->data);
    if (status == 0)
      b->done(req->index);
    else
      b->done(b->node->error_of(status));
    delete b;
  }

  static void on_change(raft_change* req, int status) {
    auto c = static_cast<change_request*>(req->data);
    c->done(status == 0 ? caf::error{} : c->node->error_of(status));
    delete c;
  }

  static void on_transfer(struct raft_transfer* req) {
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

  // -- the command queue ----------------------------------------------------------------------

  /// Queues `cmd` into the loop, or refuses it at once when the node is closing.
  void post(command cmd) {
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

  static void on_wakeup(uv_async_t* handle) {
    auto self = static_cast<impl*>(handle->data);
    std::vector<command> batch;
    {
      std::lock_guard<std::mutex> guard{self->mtx};
      batch.swap(self->queue);
    }
    for (auto& cmd : batch)
      cmd(!self->closing);
  }

  // -- status ---------------------------------------------------------------------------------

  static void on_refresh(uv_check_t* handle) {
    static_cast<impl*>(handle->data)->refresh_status();
  }

  void refresh_status() {
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

  /// libraft's latest error text: the server's, else its I/O's, else its transport's (a
  /// failure inside raft_uv, such as a taken port, is described only there).
  std::string last_message() const {
    for (const char* text : {server.errmsg, io.errmsg, transport.errmsg})
      if (text[0] != '\0')
        return text;
    return "";
  }

  /// Why raft_start failed, as precisely as we can tell: raft_uv gives no text when it
  /// cannot listen, so a failed start checks whether the address is taken.
  std::string start_failure_detail() const {
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

  // -- lifecycle (loop thread) ----------------------------------------------------------------

  void run() {
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

  void begin_close() {
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

  static void on_raft_closed(raft* server) {
    auto self = static_cast<impl*>(server->data);
    raft_uv_close(&self->io);
    raft_uv_tcp_close(&self->transport);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->wakeup), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->refresh), nullptr);
  }

  node_config cfg;
  detail::fsm_adapter adapter;

  uv_loop_t loop;
  uv_async_t wakeup;
  uv_check_t refresh;
  raft_uv_transport transport;
  raft_io io;
  raft server;

  std::thread thread;
  std::mutex join_mtx;
  std::atomic<std::thread::id> loop_thread{};

  // Guarded by mtx.
  std::mutex mtx;
  std::vector<command> queue;
  bool accepting = true;
  bool launched = false;
  bool close_requested = false;
  bool finished = false;
  done_callback start_done;
  std::vector<std::function<void()>> closed_callbacks;

  // Loop thread only.
  bool started = false;
  bool closing = false;
  std::unordered_map<uint64_t, proposal*> proposals;
  std::tuple<uint64_t, uint64_t, unsigned> members_version{~uint64_t{0}, 0, 0};

  std::atomic<uint64_t> next_ticket{1};

  mutable std::mutex status_mtx;
  node_status cached;
};

caf::expected<std::unique_ptr<raft_node>> raft_node::open(node_config cfg,
                                                           state_machine& machine) {
  if (auto err = validate(cfg))
    return err;
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec)
    return make_error(errc::io_failed,
                      "cannot create data_dir '" + cfg.data_dir + "': " + ec.message());
  auto state = std::make_unique<impl>(std::move(cfg), machine);
  auto& s = *state;
  if (auto rv = uv_loop_init(&s.loop); rv != 0)
    return make_error(errc::io_failed, std::string{"uv_loop_init: "} + uv_strerror(rv));
  // From here on, a failure must close what was opened and run the loop until it is closed.
  auto abandon = [&s](caf::error err) -> caf::expected<std::unique_ptr<raft_node>> {
    uv_close(reinterpret_cast<uv_handle_t*>(&s.wakeup), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s.refresh), nullptr);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    uv_loop_close(&s.loop);
    return err;
  };
  uv_async_init(&s.loop, &s.wakeup, impl::on_wakeup);
  s.wakeup.data = &s;
  uv_check_init(&s.loop, &s.refresh);
  s.refresh.data = &s;
  uv_check_start(&s.refresh, impl::on_refresh);
  if (auto rv = raft_uv_tcp_init(&s.transport, &s.loop); rv != 0)
    return abandon(from_raft_code(rv, s.transport.errmsg));
  if (auto rv = raft_uv_init(&s.io, &s.loop, s.cfg.data_dir.c_str(), &s.transport); rv != 0) {
    auto err = from_raft_code(rv, s.io.errmsg);
    raft_uv_tcp_close(&s.transport);
    return abandon(err);
  }
  // libraft 0.15's disk I/O implements async_work (snapshots off the loop thread) but still
  // declares version 1, which raft_init would refuse for an FSM of version 3; the
  // raft_node suite pins that the async path works.
  if (s.io.async_work != nullptr && s.io.version < 2)
    s.io.version = 2;
  if (auto rv = raft_init(&s.server, &s.io, s.adapter.fsm(), s.cfg.id, s.cfg.address.c_str());
      rv != 0) {
    auto err = from_raft_code(rv, s.server.errmsg[0] != '\0' ? s.server.errmsg : s.io.errmsg);
    raft_uv_close(&s.io);
    raft_uv_tcp_close(&s.transport);
    return abandon(err);
  }
  s.server.data = &s;
  s.adapter.bind(&s.server);
  raft_set_election_timeout(&s.server, static_cast<unsigned>(s.cfg.election_timeout.count()));
  raft_set_heartbeat_timeout(&s.server, static_cast<unsigned>(s.cfg.heartbeat_timeout.count()));
  raft_set_snapshot_threshold(&s.server, s.cfg.snapshot_threshold);
  raft_set_snapshot_trailing(&s.server, s.cfg.snapshot_trailing);
  raft_set_pre_vote(&s.server, s.cfg.pre_vote);
  s.refresh_status();
  return std::unique_ptr<raft_node>{new raft_node(std::move(state))};
}

raft_node::raft_node(std::unique_ptr<impl> state) : impl_(std::move(state)) {
  // nop
}

raft_node::~raft_node() {
  if (!impl_)
    return;
  close();
  join();
}

caf::error raft_node::bootstrap(const std::vector<member>& members) {
  auto& s = *impl_;
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    if (s.launched)
      return make_error(errc::invalid_config, "bootstrap must come before start");
  }
  if (members.empty())
    return make_error(errc::bad_member, "bootstrap needs at least one member");
  std::set<uint64_t> ids;
  bool has_self = false;
  for (auto& m : members) {
    if (m.id == 0 || !ids.insert(m.id).second)
      return make_error(errc::bad_member, "member ids must be unique and not 0");
    if (!is_host_port(m.address))
      return make_error(errc::bad_member,
                        "member " + std::to_string(m.id) + ": '" + m.address
                          + "' is not HOST:PORT");
    has_self |= m.id == s.cfg.id;
  }
  if (!has_self)
    return make_error(errc::bad_member,
                      "this node (id " + std::to_string(s.cfg.id) + ") is not a member");
  raft_configuration conf;
  raft_configuration_init(&conf);
  int rv = 0;
  for (auto& m : members)
    if (rv == 0)
      rv = raft_configuration_add(&conf, m.id, m.address.c_str(), RAFT_VOTER);
  if (rv == 0)
    rv = raft_bootstrap(&s.server, &conf);
  raft_configuration_close(&conf);
  // A directory that already holds a log keeps it: a restart bootstraps as a no-op.
  if (rv == 0 || rv == RAFT_CANTBOOTSTRAP)
    return caf::error{};
  return from_raft_code(rv, raft_errmsg(&s.server));
}

void raft_node::start(done_callback done) {
  auto& s = *impl_;
  std::unique_lock<std::mutex> guard{s.mtx};
  if (s.launched) {
    guard.unlock();
    done(make_error(s.close_requested ? errc::shutting_down : errc::invalid_config,
                    "start was called before"));
    return;
  }
  s.launched = true;
  s.start_done = std::move(done);
  s.thread = std::thread{[&s] { s.run(); }};
}

uint64_t raft_node::propose(bytes payload, applied_callback done) {
  auto& s = *impl_;
  auto ticket = s.next_ticket.fetch_add(1);
  s.post([&s, ticket, payload = std::move(payload), done = std::move(done)](bool alive) mutable {
    if (!alive) {
      done(make_error(errc::shutting_down));
      return;
    }
    // libraft takes ownership of the entry's memory (from raft_malloc, padded: see frame).
    auto buf = detail::frame(payload.data(), payload.size());
    if (buf.base == nullptr) {
      done(from_raft_code(RAFT_NOMEM, ""));
      return;
    }
    auto p = new impl::proposal{};
    p->req.data = p;
    p->node = &s;
    p->ticket = ticket;
    p->done = std::move(done);
    auto rv = raft_apply(&s.server, &p->req, &buf, 1, impl::on_applied);
    if (rv != 0) {
      raft_free(buf.base);
      p->done(s.error_of(rv));
      delete p;
      return;
    }
    s.proposals[p->req.index] = p;
  });
  return ticket;
}

void raft_node::barrier(index_callback done) {
  auto& s = *impl_;
  s.post([&s, done = std::move(done)](bool alive) mutable {
    if (!alive) {
      done(make_error(errc::shutting_down));
      return;
    }
    auto b = new impl::barrier_request{};
    b->req.data = b;
    b->node = &s;
    b->done = std::move(done);
    if (auto rv = raft_barrier(&s.server, &b->req, impl::on_barrier); rv != 0) {
      b->done(s.error_of(rv));
      delete b;
    }
  });
}

namespace {

/// Runs one configuration change on the loop thread; `submit` calls libraft.
template <class Impl, class Submit>
command change_command(Impl& s, raft_node::done_callback done, Submit submit) {
  return [&s, done = std::move(done), submit = std::move(submit)](bool alive) mutable {
    if (!alive) {
      done(make_error(errc::shutting_down));
      return;
    }
    auto c = new typename Impl::change_request{};
    c->req.data = c;
    c->node = &s;
    c->done = std::move(done);
    if (auto rv = submit(&c->req); rv != 0) {
      c->done(s.error_of(rv));
      delete c;
    }
  };
}

} // namespace

void raft_node::add_member(uint64_t id, std::string address, done_callback done) {
  auto& s = *impl_;
  if (id == 0 || !is_host_port(address)) {
    done(make_error(errc::bad_member, "add_member needs an id other than 0 and HOST:PORT, got "
                                        + std::to_string(id) + " at '" + address + "'"));
    return;
  }
  s.post(change_command(s, std::move(done), [&s, id, address](raft_change* req) {
    return raft_add(&s.server, req, id, address.c_str(), impl::on_change);
  }));
}

void raft_node::assign_role(uint64_t id, member_role role, done_callback done) {
  auto& s = *impl_;
  s.post(change_command(s, std::move(done), [&s, id, role](raft_change* req) {
    return raft_assign(&s.server, req, id, static_cast<int>(role), impl::on_change);
  }));
}

void raft_node::remove_member(uint64_t id, done_callback done) {
  auto& s = *impl_;
  s.post(change_command(s, std::move(done), [&s, id](raft_change* req) {
    return raft_remove(&s.server, req, id, impl::on_change);
  }));
}

void raft_node::transfer_leadership(uint64_t id, index_callback done) {
  auto& s = *impl_;
  s.post([&s, id, done = std::move(done)](bool alive) mutable {
    if (!alive) {
      done(make_error(errc::shutting_down));
      return;
    }
    auto t = new impl::transfer_request{};
    t->req.data = t;
    t->node = &s;
    t->done = std::move(done);
    if (auto rv = raft_transfer(&s.server, &t->req, id, impl::on_transfer); rv != 0) {
      auto err = rv == RAFT_BADID || rv == RAFT_NOTFOUND
                   ? make_error(errc::bad_member, "cannot transfer leadership to member "
                                                    + std::to_string(id))
                   : s.error_of(rv);
      t->done(std::move(err));
      delete t;
    }
  });
}

node_status raft_node::status() const {
  std::lock_guard<std::mutex> guard{impl_->status_mtx};
  return impl_->cached;
}

void raft_node::close(std::function<void()> closed) {
  auto& s = *impl_;
  std::unique_lock<std::mutex> guard{s.mtx};
  if (s.finished) {
    guard.unlock();
    if (closed)
      closed();
    return;
  }
  s.closed_callbacks.push_back(std::move(closed));
  if (s.close_requested)
    return;
  s.close_requested = true;
  if (!s.launched) {
    // Never started: the loop still has to run to close libraft's I/O.
    s.launched = true;
    s.thread = std::thread{[&s] { s.run(); }};
    return;
  }
  if (s.accepting) {
    s.queue.push_back([&s](bool) { s.begin_close(); });
    uv_async_send(&s.wakeup);
  }
}

void raft_node::join() {
  auto& s = *impl_;
  if (on_loop_thread())
    return;
  std::lock_guard<std::mutex> guard{s.join_mtx};
  if (s.thread.joinable())
    s.thread.join();
}

bool raft_node::on_loop_thread() const {
  return impl_->loop_thread.load() == std::this_thread::get_id();
}

} // namespace ooo::storage::replication
