#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "escape.hpp"
#include "reports.hpp"

namespace concur::cli::run {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " '" + path + "'");
}

}  // namespace

void make_directories(const std::string& path) {
  if (::mkdir(path.c_str(), 0777) == 0 || errno == EEXIST) return;
  if (errno == ENOENT) {
    const auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      make_directories(path.substr(0, slash));
      if (::mkdir(path.c_str(), 0777) == 0 || errno == EEXIST) return;
    }
  }
  fail("cannot create directory", path);
}

namespace {

void write_capture(const std::string& path, const Capture& c) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write", path);
  bool ok = true;
  c.replay([&](std::string_view chunk) { ok = ok && write_all(fd, chunk); });
  ::close(fd);
  if (!ok) fail("cannot write", path);
}

}  // namespace

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write", path);
  const bool ok = write_all(fd, text);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot write", path);
  }
}

Joblog::Joblog(const std::string& path, bool append) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd_ < 0) fail("cannot write joblog", path);
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size == 0)
    write_all(fd_, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
}

Joblog::~Joblog() {
  if (fd_ >= 0) ::close(fd_);
}

void Joblog::write(const JobResult& r) {
  std::string command = r.command;  // one line per job, whatever the command contains
  for (char& c : command)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  // A job that failed without a non-zero status (timed out, yet exited 0) must not look ok.
  int exitval = r.signal != 0 ? 0 : r.exit_status;
  if (r.outcome != Outcome::passed && exitval == 0 && r.signal == 0) exitval = -1;
  const std::string line =
      fmt::format("{}\t{}\t{:.3f}\t{:.3f}\t0\t{}\t{}\t{}\t{}\n", r.seq, r.host, r.start_epoch,
                  r.runtime, r.stdout_bytes, exitval, r.signal, command);
  if (!write_all(fd_, line)) fail("cannot write joblog", path_);
}

std::set<std::size_t> joblog_succeeded(const std::string& path) {
  std::set<std::size_t> ok;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string seq, host, start, runtime, send, receive, exitval, signal;
    if (!std::getline(in, seq, '\t') || !std::getline(in, host, '\t') ||
        !std::getline(in, start, '\t') || !std::getline(in, runtime, '\t') ||
        !std::getline(in, send, '\t') || !std::getline(in, receive, '\t') ||
        !std::getline(in, exitval, '\t') || !std::getline(in, signal, '\t'))
      continue;
    // Not a seq of ours: empty, not a number, or too long for std::stoul.
    if (seq.empty() || seq.size() > 18 || seq.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (exitval == "0" && signal == "0") ok.insert(std::stoul(seq));
  }
  return ok;
}

void write_results(const std::string& dir, const JobResult& r, const Capture& out,
                   const Capture& err) {
  const std::string job_dir = dir + "/" + std::to_string(r.seq);
  make_directories(job_dir);
  write_capture(job_dir + "/stdout", out);
  write_capture(job_dir + "/stderr", err);
  write_file(job_dir + "/meta.json", json_text(job_json(r)) + "\n");
}

}  // namespace concur::cli::run
