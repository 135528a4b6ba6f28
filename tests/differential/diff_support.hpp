// Shared by the differential tests: hex transport of byte strings to and from the Python and
// GNU parallel oracles, temporary files, and running an oracle program once.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <concur/subprocess.hpp>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace concur::difftest {

inline std::string to_hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * s.size());
  for (const unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline std::string from_hex(std::string_view h) {
  const auto val = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(val(h[i]) * 16 + val(h[i + 1]));
  return out;
}

/// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/concur-diff-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { concur::subprocess::run({"rm", "-rf", path_}); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

inline std::string source_path(const std::string& rel) {
  return std::string(CONCUR_SOURCE_DIR) + "/" + rel;
}

/// True if `program` can be found on PATH.
inline bool have_program(const std::string& program) {
  return concur::subprocess::run(
             {"sh", "-c", "command -v " + program},
             {.out = concur::subprocess::DEVNULL, .err = concur::subprocess::DEVNULL})
             .returncode == 0;
}

}  // namespace concur::difftest
