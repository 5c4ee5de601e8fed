#include "replication/raft_node.hpp"

#include <filesystem>
#include <set>

#include "replication/detail/entry_frame.hpp"
#include "replication/detail/no_nagle.hpp"
#include "replication/detail/raft_node_impl.hpp"
#include "replication/errc.hpp"

namespace ooo::storage::replication {

namespace {

// member_role mirrors libraft's role codes, so that converting is a cast.
static_assert(static_cast<int>(member_role::voter) == RAFT_VOTER);
static_assert(static_cast<int>(member_role::standby) == RAFT_STANDBY);
static_assert(static_cast<int>(member_role::spare) == RAFT_SPARE);

} // namespace

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
  detail::send_without_delay(s.transport);
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
detail::command change_command(Impl& s, raft_node::done_callback done, Submit submit) {
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
