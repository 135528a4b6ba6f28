// Fuzzes the joblog reader behind --resume (apps/concur/run/joblog.cpp): any file content
// yields a set of sequence numbers (never an exception, never a crash), no more of them
// than the file has lines.
#include <sys/mman.h>
#include <unistd.h>

#include <set>
#include <string>

#include "fuzz_support.hpp"
#include "run/reports.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = concur::fuzz::as_text(data, size);
  const int fd = ::memfd_create("fuzz-joblog", MFD_CLOEXEC);
  concur::fuzz::require(fd >= 0, "memfd_create");
  if (!text.empty())
    concur::fuzz::require(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(size),
                          "write");
  const auto ok = concur::cli::run::joblog_succeeded("/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
  std::size_t lines = 1;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  concur::fuzz::require(ok.size() <= lines, "at most one finished seq per line");
  return 0;
}
