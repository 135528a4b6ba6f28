// The -S/--sshlogin hosts as one launcher (see remote_launcher.hpp).
#include "remote_launcher.hpp"

namespace concur::cli::run {

RemoteLauncher::RemoteLauncher(std::vector<SshLogin> logins, std::vector<std::string> ssh,
                               double grace, std::optional<int> jobs) {
  for (auto& login : logins) {
    if (login.slots == 0 && jobs && *jobs > 0) login.slots = static_cast<unsigned>(*jobs);
    if (login.local()) {
      launchers_.push_back(std::make_unique<PopenLauncher>());
      targets_.push_back({":", static_cast<int>(login.slots)});
      continue;
    }
    auto l = std::make_unique<SshLauncher>(login, ssh, grace);
    targets_.push_back({l->login().host(), static_cast<int>(l->slots())});
    launchers_.push_back(std::move(l));
  }
  if (launchers_.empty()) throw LaunchError("no login to run jobs on");
}

std::unique_ptr<RunningJob> RemoteLauncher::start(const LaunchSpec& spec) {
  if (spec.target >= launchers_.size()) throw LaunchError("no such host");
  return launchers_[spec.target]->start(spec);
}

}  // namespace concur::cli::run
