// Fuzzes the --history file reader (apps/concur/run/history.cpp): any file content loads
// (never an exception, never a crash) with at most one warning; every expected time is a
// finite, non-negative number of seconds; what is loaded survives save() and a reload.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "history.hpp"

namespace {

// One scratch directory per fuzzing process, for the save/reload round trip.
const std::string& scratch_file() {
  static const std::string path = [] {
    std::string dir = "/tmp/concur-fuzz-history-XXXXXX";
    concur::fuzz::require(::mkdtemp(dir.data()) != nullptr, "mkdtemp");
    return dir + "/history.json";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using concur::cli::run::History;
  const auto text = concur::fuzz::as_text(data, size);
  const int fd = ::memfd_create("fuzz-history", MFD_CLOEXEC);
  concur::fuzz::require(fd >= 0, "memfd_create");
  if (!text.empty())
    concur::fuzz::require(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(size),
                          "write");
  int warnings = 0;
  const auto warn = [&](const std::string&) { ++warnings; };
  History h = History::load("/proc/self/fd/" + std::to_string(fd), warn);
  ::close(fd);
  concur::fuzz::require(warnings <= 1, "at most one warning");
  if (warnings == 1) concur::fuzz::require(h.size() == 0, "a rejected file is empty");
  // The names the fuzzer most likely put in the file.
  for (const char* name : {"a", "b", "test", ""}) {
    const auto s = h.expected(name);
    if (s) concur::fuzz::require(std::isfinite(*s) && *s >= 0, "expected() is finite, >= 0");
  }
  if (!h.writable()) return 0;
  h.save(scratch_file());
  int again = 0;
  const History back = History::load(scratch_file(), [&](const std::string&) { ++again; });
  concur::fuzz::require(again == 0, "what save() wrote loads without a warning");
  concur::fuzz::require(back.size() == h.size(), "save() then load() keeps every job");
  for (const char* name : {"a", "b", "test", ""})
    concur::fuzz::require(back.expected(name).has_value() == h.expected(name).has_value(),
                          "save() then load() keeps each job");
  return 0;
}
