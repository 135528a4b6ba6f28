// The -S/--sshlogin hosts as one launcher (see remote_launcher.hpp).
#include "remote_launcher.hpp"

#include <exception>
#include <future>

namespace concur::cli::run {

RemoteLauncher::RemoteLauncher(std::vector<SshLogin> logins, std::vector<std::string> ssh,
                               double grace, std::optional<int> jobs) {
  // Every login's shared connection is opened at once: a handshake costs up to a second, and
  // a run over N hosts should not wait N of them.
  std::vector<std::future<std::unique_ptr<SshLauncher>>> connecting(logins.size());
  for (std::size_t i = 0; i < logins.size(); ++i) {
    SshLogin& login = logins[i];
    if (login.slots == 0 && jobs && *jobs > 0) login.slots = static_cast<unsigned>(*jobs);
    if (login.local()) continue;
    connecting[i] = std::async(std::launch::async, [login, &ssh, grace] {
      return std::make_unique<SshLauncher>(login, ssh, grace);
    });
  }
  std::exception_ptr failed;  // the first login that failed, in the order given
  for (std::size_t i = 0; i < logins.size(); ++i) {
    if (logins[i].local()) {
      launchers_.push_back(std::make_unique<PopenLauncher>());
      targets_.push_back({":", static_cast<int>(logins[i].slots)});
      continue;
    }
    try {
      auto l = connecting[i].get();  // every future is waited for, even after a failure
      targets_.push_back({l->login().host(), static_cast<int>(l->slots())});
      launchers_.push_back(std::move(l));
    } catch (...) {
      if (!failed) failed = std::current_exception();
    }
  }
  if (failed) std::rethrow_exception(failed);
  if (launchers_.empty()) throw LaunchError("no login to run jobs on");
}

std::unique_ptr<RunningJob> RemoteLauncher::start(const LaunchSpec& spec) {
  if (spec.target >= launchers_.size()) throw LaunchError("no such host");
  return launchers_[spec.target]->start(spec);
}

}  // namespace concur::cli::run
