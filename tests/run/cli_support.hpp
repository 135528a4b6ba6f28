// Test support for concur run's end-to-end tests: run the built `concur` binary,
// temporary directories, files.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <concur/subprocess.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace concur::test::run {

namespace fs = std::filesystem;
namespace sp = concur::subprocess;

inline constexpr const char* kConcur = CONCUR_CLI_PATH;

struct CliResult {
  int status;
  std::string out, err;
};

/// Runs `concur run ARGS...` to completion (20 s limit), stdin from `input` or /dev/null.
inline CliResult concur_run(std::vector<std::string> args, std::optional<std::string> input = {},
                            std::optional<fs::path> cwd = {}) {
  args.insert(args.begin(), {kConcur, "run"});
  sp::Options o;
  if (input)
    o.input = *input;
  else
    o.in = sp::DEVNULL;
  o.capture_output = true;
  o.timeout = std::chrono::seconds(20);
  o.cwd = cwd;
  auto r = sp::run(args, std::move(o));
  return {r.returncode, r.out, r.err};
}

/// A fresh directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "concur-run-test-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void write_text(const fs::path& p, const std::string& text, bool executable = false) {
  std::ofstream(p, std::ios::binary) << text;
  if (executable) ::chmod(p.c_str(), 0755);
}

inline std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

inline int count_of(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

/// A fifo the test holds open read-write (so writers never block and it never
/// reports EOF); jobs announce themselves by writing a line into it.
class Fifo {
 public:
  explicit Fifo(std::string path) : path_(std::move(path)) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo");
    fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  }
  ~Fifo() { ::close(fd_); }
  const std::string& path() const { return path_; }
  /// Reads until `n` newline-terminated lines arrived or `limit` passed; returns them.
  std::vector<std::string> read_lines(
      std::size_t n, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (static_cast<std::size_t>(count_of(buf_, "\n")) < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char b[256];
      const ssize_t r = ::read(fd_, b, sizeof b);
      if (r > 0) buf_.append(b, static_cast<std::size_t>(r));
    }
    return lines_of(buf_);
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buf_;
};

}  // namespace concur::test::run
