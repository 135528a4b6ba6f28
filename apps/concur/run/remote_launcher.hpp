// concur run on other machines: the logins of -S/--sshlogin as one launcher with a target per
// host, which the scheduler fills up to each host's slots.
//
// `:` is this machine (jobs through PopenLauncher); every other login is an SshLauncher with
// its own shared connection. A login without `N/` takes -j jobs when -j was given, else as
// many as the host has usable CPUs (asked once, when the run starts).
//
//   RemoteLauncher l(parse_sshlogins("2/ci@build1,:"), {"ssh"}, 2.0, std::nullopt);
//   l.targets();   // {{"build1", 2}, {":", 0}}   (0: as many as -j says)
//
// Thread safety: as Launcher (one event loop owns it).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launcher.hpp"
#include "ssh_launcher.hpp"

namespace concur::cli::run {

class RemoteLauncher : public Launcher {
 public:
  /// Connects to every ssh login, all at once (throws LaunchError naming the first
  /// unreachable one, after every connection attempt ended).
  RemoteLauncher(std::vector<SshLogin> logins, std::vector<std::string> ssh, double grace,
                 std::optional<int> jobs);
  std::vector<LaunchTarget> targets() const override { return targets_; }
  std::unique_ptr<RunningJob> start(const LaunchSpec& spec) override;

 private:
  std::vector<std::unique_ptr<Launcher>> launchers_;
  std::vector<LaunchTarget> targets_;
};

}  // namespace concur::cli::run
