#include "apps/cli/watch.hpp"

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "apps/cli/exit_code.hpp"
#include "apps/cli/interrupts.hpp"
#include "apps/render/json.hpp"
#include "messages/errc.hpp"

namespace ooo::storage::cli {

namespace {

namespace rj = render_json;

/// Prints every event it receives; quits after `count` of them (0: never). Returning from the
/// handler answers the batch's request, which acknowledges it to the store. `last` is the
/// newest revision printed, where a watch resumes on another node.
caf::behavior printer(caf::event_based_actor* self, uint64_t count,
                      std::shared_ptr<std::atomic<uint64_t>> last) {
  auto seen = std::make_shared<uint64_t>(0);
  return {
    [=](const event_batch& batch) {
      for (auto& ev : batch.events) {
        if (count > 0 && *seen >= count)
          return;
        std::cout << rj::line(rj::event(ev)) << '\n';
        last->store(ev.revision);
        if (count > 0 && ++*seen == count)
          self->quit();
      }
      std::cout << std::flush;
    },
    [=](const lagged& x) {
      if (x.ended) {
        std::cerr << "error: " << render(make_error(errc::compacted, "the subscription fell out "
                                                      "of the retained history; resume with "
                                                      "--since "
                                                      + std::to_string(x.resume_from)))
                  << std::endl;
        self->quit(make_error(errc::compacted));
        return;
      }
      std::cerr << "warning: missed " << x.dropped << " events; resume with --since "
                << x.resume_from << std::endl;
    },
  };
}

} // namespace

/// Subscribes `watcher`: live, or replaying what is retained after `since` first.
caf::expected<uint64_t> subscribe(session& s, const std::string& pattern,
                                  const caf::actor& watcher, bool resume, uint64_t since) {
  if (!resume)
    return s.call<uint64_t>(caf::subscribe_atom::value, pattern, watcher);
  subscribe_options opts;
  opts.resume = true;
  opts.since = since;
  return s.call<uint64_t>(caf::subscribe_atom::value, pattern, watcher, opts);
}

/// The node went away: subscribes again on another node of the group, from the newest revision
/// printed (every node has the same revisions), for at most three timeouts.
caf::expected<uint64_t> resume_elsewhere(session& s, const std::string& pattern,
                                         const caf::actor& watcher, uint64_t since) {
  auto deadline = std::chrono::steady_clock::now() + 3 * s.timeout();
  caf::error err = make_error(errc::unavailable, "no other node answers");
  while (std::chrono::steady_clock::now() < deadline) {
    if (s.connect_next()) {
      auto id = subscribe(s, pattern, watcher, true, since);
      if (id)
        return id;
      err = id.error();
      if (is(err, errc::compacted))
        return err;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
  return err;
}

int run_watch(session& s, const command_line& cmd) {
  auto& sys = s.system();
  auto last = std::make_shared<std::atomic<uint64_t>>(cmd.since);
  auto watcher = sys.spawn(printer, cmd.count, last);
  auto resume = cmd.has_since;
  if (!resume && s.node_count() > 1) {
    // A group: start from a revision, so that a resume on another node knows where it was
    // even before the first event.
    if (auto st = s.call<store_stats>(stats_atom::value)) {
      resume = true;
      last->store(st->revision);
    }
  }
  auto id = subscribe(s, cmd.key, watcher, resume, last->load());
  if (!id) {
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    return s.report(id.error());
  }
  auto& self = s.self();
  self->monitor(watcher);
  auto store = caf::actor_cast<caf::actor_addr>(s.store());
  self->monitor(s.store());
  interrupts stop;
  stop.start([watcher] { caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown); });
  int code = ok;
  bool done = false;
  self->receive_while([&] { return !done; })([&](caf::down_msg& msg) {
    if (msg.source == watcher.address()) {
      done = true;
      if (is(msg.reason, errc::compacted))
        code = store_error;
      return;
    }
    if (msg.source != store)
      return;
    auto gone = s.address().to_string();
    if (s.node_count() > 1) {
      auto again = resume_elsewhere(s, cmd.key, watcher, last->load());
      if (again) {
        std::cerr << "note: node " << gone << " went away; watching on "
                  << s.address().to_string() << " from revision " << last->load() << std::endl;
        id = again;
        store = caf::actor_cast<caf::actor_addr>(s.store());
        self->monitor(s.store());
        return;
      }
      done = true;
      code = s.report(again.error());
      return;
    }
    done = true;
    std::cerr << "error: node " << gone << " unreachable: lost the connection" << std::endl;
    code = unreachable;
  });
  if (code != unreachable) {
    // Best effort: the store also drops the subscription once the watcher is gone.
    static_cast<void>(s.call<void>(caf::unsubscribe_atom::value, *id));
  }
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  return code;
}

} // namespace ooo::storage::cli
