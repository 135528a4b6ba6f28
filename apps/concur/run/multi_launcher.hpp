// concur run on other machines: several launchers (hosts) behind one, each with its slots.
//
// start() places a job on the host with the most free slots (ties: the first listed, so `:`
// first means local first); a slot is freed when the job is reaped or dropped. The scheduler's
// -j is the sum of the slots, so it never asks for a job when every host is full.
//
//   MultiLauncher all;
//   all.add(std::make_unique<PopenLauncher>(), 2);
//   all.add(std::make_unique<SshLauncher>(login, {"ssh"}, 2.0), 4);
//   all.total_slots();   // 6
//
// Thread safety: as Launcher (one event loop owns it).
#pragma once

#include <memory>
#include <vector>

#include "launcher.hpp"

namespace concur::cli::run {

class MultiLauncher : public Launcher {
 public:
  /// Adds a host with `slots` job slots (at least 1).
  void add(std::unique_ptr<Launcher> launcher, unsigned slots);
  unsigned total_slots() const;
  std::size_t hosts() const { return hosts_.size(); }
  /// Throws LaunchError when every slot is busy (the scheduler never asks then), or what the
  /// chosen launcher throws.
  std::unique_ptr<RunningJob> start(const LaunchSpec& spec) override;

 private:
  struct Host {
    std::unique_ptr<Launcher> launcher;
    unsigned slots = 1;
    std::shared_ptr<unsigned> running = std::make_shared<unsigned>(0);
  };
  std::vector<Host> hosts_;
};

}  // namespace concur::cli::run
