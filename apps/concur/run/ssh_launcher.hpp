// concur run on other machines: jobs over ssh, as GNU parallel's --sshlogin.
//
// A login is GNU parallel's `[N/][user@]host` (N: job slots there; default: the host's usable
// CPUs, asked once), or `:` for this machine. Every login shares one ssh connection
// (ControlMaster/ControlPersist), so a job costs a round trip, not a handshake. Each remote
// job runs under the wrapper of remote_wrapper.hpp: a timeout or SIGINT kills its whole remote
// tree; a dropped connection fails the job with exit 255.
//
//   auto logins = parse_sshlogins("2/ci@build1,:");
//   SshLauncher one(logins[0], {"ssh"}, 2.0);
//   auto job = one.start(spec);
//
// Thread safety: as Launcher (one event loop owns it).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "launcher.hpp"

namespace concur::cli::run {

struct SshLogin {
  unsigned slots = 0;  // 0: ask the host (its usable CPUs)
  std::string login;   // [user@]host, or ":" for this machine
  bool local() const { return login == ":"; }
  /// The host part, for the joblog's Host column (":" for this machine).
  std::string host() const;
};

/// Parses a comma-separated list of logins. Throws std::invalid_argument naming a bad one.
std::vector<SshLogin> parse_sshlogins(std::string_view list);
/// One login per line; blank lines and `#` comments skipped. Throws std::invalid_argument
/// (unreadable file, bad login, no login at all).
std::vector<SshLogin> read_sshloginfile(const std::filesystem::path& file);

class SshLauncher : public Launcher {
 public:
  /// `ssh`: the ssh command as words (from --ssh); `grace`: SIGTERM-to-SIGKILL delay on the
  /// remote side when the connection drops. Opens the shared connection and, when the login
  /// has no slot count, asks the host's CPU count. Throws LaunchError if the host is unreachable.
  SshLauncher(SshLogin login, std::vector<std::string> ssh, double grace);
  ~SshLauncher() override;  // closes the shared connection
  SshLauncher(const SshLauncher&) = delete;
  SshLauncher& operator=(const SshLauncher&) = delete;

  unsigned slots() const { return login_.slots; }
  const SshLogin& login() const { return login_; }
  std::unique_ptr<RunningJob> start(const LaunchSpec& spec) override;

 private:
  std::vector<std::string> ssh_argv() const;  // ssh + connection sharing options
  SshLogin login_;
  std::vector<std::string> ssh_;
  double grace_;
  std::string control_dir_;
};

}  // namespace concur::cli::run
