#include "cluster/group_node.hpp"

#include <atomic>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/replica_protocol.hpp"
#include "actors/store.hpp"
#include "cluster/atoms.hpp"
#include "cluster/front.hpp"
#include "cluster/replica_sink.hpp"
#include "messages/errc.hpp"
#include "persistence/rocksdb_adapter.hpp"
#include "replication/atoms.hpp"
#include "replication/errc.hpp"
#include "replication/group_settings.hpp"
#include "replication/node_status.hpp"
#include "replication/replicator.hpp"

namespace ooo::storage::cluster {

namespace {

using namespace std::chrono_literals;

/// Joining replays libraft's log into the sink and may restore a snapshot first.
constexpr auto open_timeout = 10min;
/// Loading every key into the shards.
constexpr auto start_timeout = 10min;
constexpr auto close_timeout = 60s;
constexpr auto transfer_timeout = 5s;

/// The RocksDB a group applies its log to. Its writes are not fsynced: the Raft log is
/// (libraft syncs every append before it counts), and whatever RocksDB loses in a crash comes
/// back from the log, since the applied position is stored with the data it covers.
caf::expected<std::unique_ptr<adapter>> open_store_dir(const std::string& dir) {
  return rocksdb_adapter::open(dir, durability::async);
}

/// Blocks on one request to a local actor.
template <class... Ts>
caf::error call(caf::actor_system& sys, const caf::actor& whom, caf::timespan timeout,
                Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::error result;
  self->request(whom, timeout, std::forward<Ts>(xs)...)
    .receive([] {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::string render_any(caf::actor_system& sys, const caf::error& err) {
  if (err.category() == error_category)
    return render(err);
  if (err.category() == replication::error_category)
    return replication::render(err);
  return sys.render(err);
}

} // namespace

group_node::group_node(caf::actor_system& sys, group_node_config cfg)
  : sys_(sys), cfg_(std::move(cfg)) {
  // nop
}

group_node::~group_node() {
  static_cast<void>(close());
}

caf::expected<std::unique_ptr<group_node>> group_node::start(caf::actor_system& sys,
                                                             group_node_config cfg) {
  std::unique_ptr<group_node> node{new group_node(sys, std::move(cfg))};
  auto& c = node->cfg_;
  auto store_dir = (std::filesystem::path{c.data_dir} / "store").string();
  auto raft_dir = (std::filesystem::path{c.data_dir} / "raft").string();
  auto disk = open_store_dir(store_dir);
  if (!disk)
    return disk.error();
  node->replicator_ = replication::spawn_replicator(sys);
  auto hookup = std::make_shared<replica_hookup>();
  hookup->revision = std::make_shared<std::atomic<uint64_t>>(0);
  hookup->lock_tokens = std::make_shared<std::atomic<uint64_t>>(0);
  sink_config sc;
  sc.group = c.group;
  sc.node_id = c.node_id;
  sc.replicator = node->replicator_;
  sc.store_dir = store_dir;
  sc.disk = std::move(*disk);
  sc.open = open_store_dir;
  sc.history_events = c.store_options.history_events;
  sc.history_bytes = c.store_options.history_bytes;
  sc.revision = hookup->revision;
  sc.lock_tokens = hookup->lock_tokens;
  node->sink_ = spawn_replica_sink(sys, std::move(sc));
  hookup->persistence = caf::actor_cast<persistence_actor>(node->sink_);
  store_config store_cfg;
  store_cfg.opts = c.store_options;
  store_cfg.mode = durability::sync;
  store_cfg.replica = hookup;
  node->store_ = spawn_store(sys, std::move(store_cfg));
  node->front_ = spawn_front(sys, front_config{node->store_, node->sink_, node->replicator_,
                                               c.group, c.stale_reads});
  replication::group_settings gs;
  gs.group = c.group;
  gs.node.id = c.node_id;
  gs.node.address = c.raft_address;
  gs.node.data_dir = raft_dir;
  gs.node.election_timeout = c.election_timeout;
  gs.node.heartbeat_timeout = c.heartbeat_timeout;
  gs.node.snapshot_threshold = c.snapshot_threshold;
  gs.node.snapshot_trailing = c.snapshot_trailing;
  gs.initial_members = c.initial_members;
  auto err = call(sys, node->replicator_, open_timeout, replication::open_group_atom::value, gs,
                  node->sink_);
  if (err) {
    auto what = render_any(sys, err);
    node->close();
    return caf::make_error(caf::sec::runtime_error, "cannot join group " + std::to_string(c.group)
                                                      + " as node " + std::to_string(c.node_id)
                                                      + " on " + c.raft_address + ": " + what);
  }
  err = call(sys, node->sink_, start_timeout, start_store_atom::value);
  if (err) {
    auto what = render_any(sys, err);
    node->close();
    return caf::make_error(caf::sec::runtime_error, "the store did not start: " + what);
  }
  return node;
}

void group_node::set_client_address(const std::string& address) {
  caf::anon_send(sink_, client_address_atom::value, address);
}

caf::error group_node::close() {
  if (closed_)
    return caf::error{};
  closed_ = true;
  caf::error result;
  caf::scoped_actor self{sys_};
  if (replicator_) {
    // A leader that leaves hands over first: the others need not wait an election timeout.
    self->request(replicator_, close_timeout, replication::group_status_atom::value, cfg_.group)
      .receive(
        [&](replication::group_id, replication::node_status& status) {
          if (status.role != replication::node_role::leader || status.members.size() < 2)
            return;
          self->request(replicator_, transfer_timeout, replication::transfer_atom::value,
                        cfg_.group, uint64_t{0})
            .receive([](uint64_t leader) { spdlog::info("handed leadership to node {}", leader); },
                     [&](caf::error& err) {
                       spdlog::warn("leadership hand-over: {}", render_any(sys_, err));
                     });
        },
        [](caf::error&) {});
  }
  if (store_) {
    self->request(store_, close_timeout, caf::close_atom::value)
      .receive([] {}, [&](caf::error& err) { result = err; });
  }
  if (replicator_) {
    self->request(replicator_, close_timeout, replication::close_group_atom::value, cfg_.group)
      .receive([] {},
               [&](caf::error& err) {
                 if (!replication::is(err, replication::errc::unknown_group) && !result)
                   result = err;
               });
  }
  if (front_)
    self->send_exit(front_, caf::exit_reason::user_shutdown);
  if (store_)
    self->send_exit(store_, caf::exit_reason::user_shutdown);
  if (replicator_)
    self->send_exit(replicator_, caf::exit_reason::user_shutdown);
  if (sink_)
    self->send_exit(sink_, caf::exit_reason::user_shutdown);
  return result;
}

} // namespace ooo::storage::cluster
