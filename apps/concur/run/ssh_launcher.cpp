// Jobs over ssh (see ssh_launcher.hpp). Why one shared connection per login: an ssh handshake
// costs ~300 ms here, a multiplexed session ~20 ms. Why ControlMaster=no for the jobs: only the
// first connection may become the master, so no job's ssh process ever lingers as one.
#include "ssh_launcher.hpp"

#include <stdlib.h>
#include <concur/shlex.hpp>
#include <concur/subprocess.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "popen_job.hpp"
#include "remote_wrapper.hpp"

namespace concur::cli::run {
namespace {

namespace sp = concur::subprocess;
using namespace std::chrono_literals;

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

SshLogin parse_one(std::string_view text) {
  const std::string s = trim(text);
  SshLogin l;
  std::string_view rest = s;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const auto n = rest.substr(0, slash);
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (ec != std::errc() || p != n.data() + n.size() || v == 0)
      throw std::invalid_argument("bad --sshlogin '" + s +
                                  "': the slot count before '/' must be a positive number");
    l.slots = v;
    rest = rest.substr(slash + 1);
  }
  if (rest.empty()) throw std::invalid_argument("bad --sshlogin '" + s + "': no host");
  if (rest.find_first_of(" \t'\"`$;|&<>") != std::string_view::npos)
    throw std::invalid_argument("bad --sshlogin '" + s +
                                "': expected [N/][user@]host (use --ssh for ssh options)");
  if (rest.front() == '-')
    throw std::invalid_argument("bad --sshlogin '" + s + "': a host cannot start with '-'");
  l.login = std::string(rest);
  return l;
}

// The job's ssh process. Stop requests travel as lines the remote wrapper reads (see
// remote_wrapper.hpp); kill() also ends the local ssh, so a hung connection cannot hang the run.
class SshJob : public PopenBackedJob {
 public:
  SshJob(sp::Popen p, std::string host) : PopenBackedJob(std::move(p), std::move(host)) {}
  ~SshJob() override { kill_unless_reaped(); }
  std::optional<int> try_reap() override {
    auto rc = popen_.poll();
    // ssh killed by a signal we did not send: the connection is gone, as ssh's own 255.
    if (rc && *rc < 0 && !killed_) return 255;
    return rc;
  }
  void terminate() override { tell("T\n"); }
  int kill() override {
    if (auto rc = popen_.returncode()) return *rc;
    tell("K\n");
    close_stdin();  // end of input: the remote wrapper kills the tree even if "K" was lost
    killed_ = true;
    return popen_.stop(std::chrono::seconds(0));
  }
  // kill_leftovers: nothing local; the remote wrapper kills what the job left behind.

 private:
  void tell(const char* line) {
    if (stdin_closed_ || popen_.returncode()) return;
    try {
      popen_.in().write(line);
    } catch (const std::exception&) {  // ssh already gone: its exit status says the rest
      close_stdin();
    }
  }
  void close_stdin() {
    if (stdin_closed_) return;
    stdin_closed_ = true;
    try {
      popen_.in().close();
    } catch (const std::exception&) {
    }
  }
  bool killed_ = false, stdin_closed_ = false;
};

}  // namespace

std::string SshLogin::host() const {
  if (local()) return ":";
  const auto at = login.rfind('@');
  return at == std::string::npos ? login : login.substr(at + 1);
}

std::vector<SshLogin> parse_sshlogins(std::string_view list) {
  std::vector<SshLogin> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const auto item = list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!trim(item).empty()) out.push_back(parse_one(item));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.empty()) throw std::invalid_argument("--sshlogin: no login given");
  return out;
}

std::vector<SshLogin> read_sshloginfile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("cannot read --sshloginfile " + file.string());
  std::vector<SshLogin> out;
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (trim(line).empty()) continue;
    for (auto& l : parse_sshlogins(line)) out.push_back(std::move(l));
  }
  if (out.empty())
    throw std::invalid_argument("--sshloginfile " + file.string() + ": no login in it");
  return out;
}

SshLauncher::SshLauncher(SshLogin login, std::vector<std::string> ssh, double grace)
    : login_(std::move(login)), ssh_(std::move(ssh)), grace_(grace) {
  if (ssh_.empty()) ssh_ = {"ssh"};
  char tmpl[] = "/tmp/concur-ssh-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw LaunchError(std::string("cannot create a directory for ssh's control socket: ") +
                      std::strerror(errno));
  control_dir_ = tmpl;
  // The first connection becomes the shared master (it daemonizes; ControlPersist bounds its
  // life should we die without closing it) and asks the host's CPU count on the way.
  std::vector<std::string> argv = ssh_;
  for (const char* o :
       {"-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", "ControlPersist=60"})
    argv.emplace_back(o);
  argv.insert(argv.end(), {"-o", "ControlPath=" + control_dir_ + "/%C", "--", login_.login,
                           "nproc 2>/dev/null || getconf _NPROCESSORS_ONLN"});
  sp::CompletedProcess r;
  try {
    r = sp::run(argv, {.in = sp::DEVNULL, .capture_output = true, .timeout = 60s});
  } catch (const sp::TimeoutExpired&) {
    throw LaunchError("ssh " + login_.login + ": no answer within 60 s");
  } catch (const std::exception& e) {
    throw LaunchError("ssh " + login_.login + ": " + e.what());
  }
  if (r.returncode != 0) {
    std::string why = trim(r.err);
    if (why.size() > 300) why = why.substr(0, 300) + "...";
    throw LaunchError("ssh " + login_.login + ": cannot connect (exit " +
                      std::to_string(r.returncode) + (why.empty() ? ")" : "): " + why));
  }
  if (login_.slots == 0) {
    unsigned n = 0;
    const std::string out = trim(r.out);
    const auto [p, ec] = std::from_chars(out.data(), out.data() + out.size(), n);
    login_.slots = ec == std::errc() && n > 0 ? n : 1;
  }
}

SshLauncher::~SshLauncher() {
  try {
    auto argv = ssh_;
    argv.insert(argv.end(),
                {"-o", "ControlPath=" + control_dir_ + "/%C", "-O", "exit", "--", login_.login});
    sp::run(argv, {.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::DEVNULL, .timeout = 5s});
  } catch (...) {  // the master is gone already, or ssh is: nothing left to close
  }
  std::error_code ec;
  std::filesystem::remove_all(control_dir_, ec);
}

std::vector<std::string> SshLauncher::ssh_argv() const {
  std::vector<std::string> argv = ssh_;
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "ControlMaster=no", "-o",
                           "ControlPath=" + control_dir_ + "/%C", "-T", "--", login_.login});
  return argv;
}

std::unique_ptr<RunningJob> SshLauncher::start(const LaunchSpec& spec) {
  auto argv = ssh_argv();
  argv.push_back(remote_command(spec, grace_));
  sp::Options o;
  o.in = sp::PIPE;  // the wrapper's signal channel
  o.out = sp::PIPE;
  o.err = sp::PIPE;
  o.process_group = 0;
  try {
    return std::make_unique<SshJob>(sp::Popen(std::move(argv), std::move(o)), login_.host());
  } catch (const std::exception& e) {
    throw LaunchError(e.what());
  }
}

}  // namespace concur::cli::run
