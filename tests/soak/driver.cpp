#include "tests/soak/driver.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/layered.hpp"
#include "tests/soak/failures.hpp"
#include "tests/soak/invariants.hpp"
#include "tests/soak/key_ids.hpp"
#include "tests/soak/observations.hpp"
#include "tests/soak/report.hpp"
#include "tests/soak/rss.hpp"
#include "tests/soak/soak_store.hpp"
#include "tests/soak/subscribers.hpp"
#include "tests/soak/workload.hpp"

namespace ooo::storage::soak {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = 10s) {
  auto until = clock_type::now() + limit;
  while (clock_type::now() < until) {
    if (cond())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

clock_type::duration seconds(double x) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(x));
}

class soak_driver {
public:
  soak_driver(const soak_config& cfg, const std::string& dir) : cfg_(cfg), dir_(dir) {
    summary_.threads = cfg.threads;
    summary_.seed = cfg.seed;
    summary_.dir = dir;
  }

  ~soak_driver() {
    // A run that ended early must not leave the stalled subscriber to hold up the shutdown of
    // the actor system.
    if (stalled_)
      caf::anon_send_exit(stalled_, caf::exit_reason::kill);
  }

  soak_driver(const soak_driver&) = delete;
  soak_driver& operator=(const soak_driver&) = delete;

  /// Opens the store, sets the shared counter to 0, subscribes the stalled subscriber (drop
  /// mode, every key, never acknowledges) and starts the oracle after the counter's revision.
  bool setup() {
    t_start_ = clock_type::now();
    opts_.shards = soak_shards;
    opts_.on_drop = [id = stalled_id_, drops = stalled_drops_](uint64_t sub, const event&) {
      if (sub == id->load())
        ++*drops;
    };
    store_ = open_store(dir_, opts_);
    if (!store_)
      return false;
    if (auto r = store_->set(counter_key, "0"); !r) {
      fail("set counter: " + text(r.error()));
      return false;
    }
    counter_rev_ = store_->stats()->revision;
    stalled_ = store_->system().spawn(stalled_subscriber);
    {
      caf::scoped_actor self{store_->system()};
      auto id = ask<uint64_t>(self, store_->handle(), 10s, caf::subscribe_atom::value,
                              std::string{"*/*/*"}, caf::actor_cast<caf::actor>(stalled_),
                              subscribe_options{});
      if (!id) {
        fail("subscribe stalled: " + text(id.error()));
        return false;
      }
      *stalled_id_ = *id;
    }
    // The counter's initial set happened before the oracle: it starts after it.
    oracle_->last = counter_rev_;
    oracle_subscribe(*store_, oracle_);
    return true;
  }

  /// Runs the writer threads until the deadline; meanwhile transient subscribers come and go
  /// (at most 6), the oracle resumes every 3 s, RSS is sampled every second and progress goes
  /// to stderr every 5 s.
  void start() {
    for (int t = 0; t < cfg_.threads; ++t)
      writers_.push_back(std::make_unique<writer>(t, *store_, cfg_.seed * 1000 + t));
    auto deadline = t_start_ + seconds(cfg_.duration);
    std::vector<std::thread> threads;
    for (auto& w : writers_)
      threads.emplace_back([&w, deadline] { w->run(deadline); });
    std::mt19937_64 rng{cfg_.seed ^ 0x5eed};
    rss_monitor rss{t_start_ + seconds(cfg_.duration * 0.2)};
    auto next_sample = clock_type::now();
    auto next_sub_change = clock_type::now() + 200ms;
    auto next_resume = clock_type::now() + 3s;
    auto next_progress = clock_type::now() + 5s;
    uint64_t last_ops = 0;
    while (clock_type::now() < deadline && failure_count() == 0) {
      auto now = clock_type::now();
      if (now >= next_sample) {
        next_sample += 1s;
        rss.sample(now, log_bytes());
      }
      if (now >= next_sub_change) {
        next_sub_change += 250ms;
        churn_transients(rng);
      }
      if (now >= next_resume) {
        next_resume += 3s;
        oracle_subscribe(*store_, oracle_);
      }
      if (now >= next_progress) {
        next_progress += 5s;
        last_ops = report_progress(now, last_ops);
      }
      std::this_thread::sleep_for(20ms);
    }
    for (auto& th : threads)
      th.join();
    summary_.workload_seconds = std::chrono::duration<double>(clock_type::now() - t_start_).count();
    rss.check();
    summary_.rss_start = rss.at_start();
    summary_.rss_warm = rss.warm();
    summary_.rss_max = rss.max();
    summary_.rss_max_adjusted = rss.max_adjusted();
    summary_.rss_bound = rss.bound();
  }

  /// Checks every invariant; false if the store could not be asked (the rest is skipped).
  bool check() {
    for (auto& w : writers_) {
      summary_.silent_deletes += w->model.silent_deletes();
      summary_.increments += w->increments;
    }
    if (!quiesce())
      return false;
    check_stats();
    check_events();
    auto before = check_memory();
    if (!check_restart(before))
      return false;
    return true;
  }

  void report() {
    for (auto& w : writers_) {
      for (size_t k = 0; k < k_count; ++k) {
        summary_.counts[k] += w->counts[k];
        summary_.max_ms[k] = std::max(summary_.max_ms[k], w->max_ms[k]);
      }
      summary_.conflicts += w->conflicts;
      summary_.slowest_dead_holder_ms = std::max(summary_.slowest_dead_holder_ms,
                                                 w->max_dead_holder_release_ms);
    }
    summary_.oracle_resumes = oracle_->resumes;
    summary_.transients = closed_subs_.size();
    summary_.stalled_dropped = stalled_drops_->load();
    summary_.log_bytes = log_bytes();
    print_summary(summary_);
  }

private:
  // -- start -----------------------------------------------------------------------------------

  void churn_transients(std::mt19937_64& rng) {
    if (open_subs_.size() < 6 && rng() % 2 == 0) {
      uint64_t since = 0;
      {
        std::lock_guard<std::mutex> guard{oracle_->mtx};
        since = oracle_->last;
      }
      if (auto s = start_transient(*store_, rng, cfg_.threads, since))
        open_subs_.push_back(std::move(s));
    }
    if (!open_subs_.empty() && rng() % 3 == 0) {
      auto i = rng() % open_subs_.size();
      stop_transient(*open_subs_[i]);
      closed_subs_.push_back(std::move(open_subs_[i]));
      open_subs_.erase(open_subs_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  /// Prints ops so far and RSS, and names any operation running for more than 1 s.
  uint64_t report_progress(clock_type::time_point now, uint64_t last_ops) {
    uint64_t ops = 0;
    std::ostringstream slow;
    for (auto& w : writers_) {
      ops += w->done.load();
      auto started = w->op_started_ns.load();
      auto age = started == 0 ? 0.0 : (now.time_since_epoch().count() - started) / 1e9;
      if (age > 1.0)
        slow << ", a " << kind_names[w->current_kind.load()] << " has run " << age << " s";
    }
    std::cerr << "-- " << static_cast<int>(std::chrono::duration<double>(now - t_start_).count())
              << " s: " << ops << " ops (+" << ops - last_ops << "), RSS "
              << static_cast<int>(mib(rss_bytes())) << " MiB, logs "
              << static_cast<int>(mib(log_bytes())) << " MiB" << slow.str() << std::endl;
    return ops;
  }

  // -- check -----------------------------------------------------------------------------------

  /// Waits until the oracle has every revision, then stops the remaining transients.
  bool quiesce() {
    auto stats = store_->stats();
    if (!stats) {
      fail("stats: " + text(stats.error()));
      return false;
    }
    final_revision_ = stats->revision;
    summary_.revisions = final_revision_;
    // Every revision after the counter's first set is an oracle event or a silent delete.
    if (!eventually(
          [&] {
            std::lock_guard<std::mutex> guard{oracle_->mtx};
            return oracle_->events.size() + summary_.silent_deletes + counter_rev_
                   >= final_revision_;
          },
          30s))
      fail("the oracle did not catch up with revision " + std::to_string(final_revision_));
    std::this_thread::sleep_for(300ms);
    for (auto& s : open_subs_) {
      stop_transient(*s);
      closed_subs_.push_back(std::move(s));
    }
    open_subs_.clear();
    return true;
  }

  /// No lock and no waiter left; exactly the oracle and the stalled subscriber registered,
  /// then one, then none as they go; the stalled one holds exactly the window.
  void check_stats() {
    store_stats st;
    eventually([&] {
      auto x = store_->stats();
      if (x)
        st = *x;
      return x && st.locks == 0 && st.lock_waiters == 0 && st.subscribers == 2;
    });
    summary_.store_dropped = st.dropped_events;
    if (st.locks != 0 || st.lock_waiters != 0)
      fail("stats after the workload: " + std::to_string(st.locks) + " locks, "
           + std::to_string(st.lock_waiters) + " lock waiters (want 0, 0)");
    if (st.subscribers != 2)
      fail("stats: " + std::to_string(st.subscribers)
           + " subscribers after the transients stopped (want 2: oracle + stalled)");
    if (st.revision != final_revision_)
      fail("the revision moved after the workload: " + std::to_string(final_revision_) + " -> "
           + std::to_string(st.revision));
    uint64_t parked = 0;
    {
      caf::scoped_actor self{store_->system()};
      self->request(stalled_, 5s, caf::get_atom::value)
        .receive([&](uint64_t n) { parked = n; },
                 [&](caf::error& err) { fail("stalled subscriber: " + text(err)); });
    }
    summary_.stalled_parked = parked;
    // A unit (a glob delete) is delivered whole, so the last batch may reach past the window;
    // never by more than a glob delete of this workload removes (well under 1000 keys).
    if (parked < opts_.watch_window || parked >= opts_.watch_window + 1000)
      fail("the stalled subscriber holds " + std::to_string(parked)
           + " events, want the window (" + std::to_string(opts_.watch_window)
           + ") plus at most the rest of one unit");
    caf::anon_send_exit(stalled_, caf::exit_reason::kill);
    stalled_ = nullptr;
    if (!eventually([&] {
          auto x = store_->stats();
          return x && x->subscribers == 1;
        }))
      fail("a dead subscriber stays registered (want 1 subscriber: the oracle)");
    oracle_->handle.stop();
    if (!eventually([&] {
          auto x = store_->stats();
          return x && x->subscribers == 0;
        }))
      fail("a stopped watch stays registered (want 0 subscribers)");
  }

  /// The oracle saw every revision once, in the writers' order per key; every transient saw
  /// only oracle events, with gaps exactly where its notices said.
  void check_events() {
    {
      std::lock_guard<std::mutex> guard{oracle_->mtx};
      truth_ = oracle_->events;
    }
    summary_.oracle_events = truth_.size();
    if (truth_.size() + summary_.silent_deletes + counter_rev_ != final_revision_)
      fail("revisions: " + std::to_string(truth_.size()) + " events + "
           + std::to_string(summary_.silent_deletes) + " silent deletes + "
           + std::to_string(counter_rev_) + " initial != revision "
           + std::to_string(final_revision_));
    std::vector<op_record> writes;
    for (auto& w : writers_) {
      auto& changes = w->model.changes();
      writes.insert(writes.end(), changes.begin(), changes.end());
      changes.clear();
    }
    check_oracle(writes, truth_);
    writes = {};
    for (size_t i = 0; i < closed_subs_.size(); ++i)
      check_transient(*closed_subs_[i], truth_, i, summary_.transient_events,
                      summary_.transient_dropped);
  }

  /// Memory holds exactly the writers' models plus the counter; returns what memory holds.
  std::map<std::string, object> check_memory() {
    std::map<std::string, bytes> model;
    for (auto& w : writers_)
      model.insert(w->model.values().begin(), w->model.values().end());
    auto counter_text = std::to_string(summary_.increments);
    model[counter_key] = bytes(counter_text.begin(), counter_text.end());
    auto before = snapshot(*store_);
    check_memory_matches_model(before, model);
    check_counter(before, summary_.increments);
    summary_.keys = before.size();
    return before;
  }

  /// After close and a reopen of the same directory: disk = memory, the revision counter is
  /// unchanged and a lossless resume replays the oracle's last 2000 revisions.
  bool check_restart(const std::map<std::string, object>& before) {
    if (auto ok = store_->close(); !ok)
      fail("close: " + text(ok.error()));
    store_.reset();
    auto restart_t0 = clock_type::now();
    store_ = open_store(dir_, opts_);
    if (!store_)
      return false;
    summary_.restart_ms
      = std::chrono::duration<double, std::milli>(clock_type::now() - restart_t0).count();
    check_disk_matches_memory(before, snapshot(*store_));
    auto st = store_->stats();
    if (!st || st->revision != final_revision_)
      fail("revision after restart: " + (st ? std::to_string(st->revision) : "?") + ", want "
           + std::to_string(final_revision_));
    check_history_replay();
    auto final_stats = store_->stats();
    summary_.history_after_restart = final_stats ? final_stats->history : 0;
    store_.reset();
    return true;
  }

  /// The retained history survived the restart: resuming near the end replays the oracle's
  /// tail.
  void check_history_replay() {
    auto tail_since = final_revision_ > 2000 ? final_revision_ - 2000 : 0;
    std::vector<seen_event> expected_tail;
    for (auto& e : truth_)
      if (e.revision > tail_since)
        expected_tail.push_back(e);
    auto replay = std::make_shared<std::pair<std::mutex, std::vector<seen_event>>>();
    subscribe_options ro;
    ro.resume = true;
    ro.since = tail_since;
    ro.mode = watch_mode::lossless;
    auto w = store_->watch(
      "*/*/*",
      [replay](const event& ev) {
        std::lock_guard<std::mutex> guard{replay->first};
        replay->second.push_back(seen(ev));
      },
      ro);
    if (!w) {
      fail("resume after restart since " + std::to_string(tail_since) + ": " + text(w.error()));
      return;
    }
    eventually([&] {
      std::lock_guard<std::mutex> guard{replay->first};
      return replay->second.size() >= expected_tail.size();
    });
    std::this_thread::sleep_for(100ms);
    std::lock_guard<std::mutex> guard{replay->first};
    check_replay(tail_since, replay->second, expected_tail);
  }

  // -- state -----------------------------------------------------------------------------------

  const soak_config& cfg_;
  std::string dir_;
  clock_type::time_point t_start_;
  options opts_;
  std::unique_ptr<layered> store_;
  /// The stalled subscriber, its subscription id and the events the store dropped for it.
  caf::actor stalled_;
  std::shared_ptr<std::atomic<uint64_t>> stalled_id_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> stalled_drops_
    = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<oracle_state> oracle_ = std::make_shared<oracle_state>();
  std::vector<std::unique_ptr<writer>> writers_;
  std::vector<std::shared_ptr<transient_state>> open_subs_;
  std::vector<std::shared_ptr<transient_state>> closed_subs_;
  /// The revision of the counter's initial set; the oracle starts after it.
  uint64_t counter_rev_ = 0;
  uint64_t final_revision_ = 0;
  /// What the oracle saw.
  std::vector<seen_event> truth_;
  soak_summary summary_;
};

} // namespace

int run_soak(const soak_config& cfg, const std::string& dir) {
  soak_driver soak{cfg, dir};
  if (!soak.setup())
    return 1;
  soak.start();
  if (!soak.check())
    return 1;
  soak.report();
  return failure_count() == 0 ? 0 : 1;
}

} // namespace ooo::storage::soak
