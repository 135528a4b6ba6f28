// Fuzzes concur run's input readers (apps/concur/run/jobs.*): the lines of a --jobs-file
// (first byte odd) or of stdin (even) become jobs: never a blank value, never a value with a
// newline, never more jobs than lines; every job's command expands.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "fuzz_support.hpp"
#include "run/jobs.hpp"

namespace {

struct MemFd {
  int fd = ::memfd_create("fuzz-input", MFD_CLOEXEC);
  ~MemFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur::cli::run;
  if (size < 1) return 0;
  const bool from_file = (data[0] & 1) != 0;
  const auto text = concur::fuzz::as_text(data + 1, size - 1);
  MemFd mem;
  concur::fuzz::require(mem.fd >= 0, "memfd_create");
  if (!text.empty())
    concur::fuzz::require(
        ::write(mem.fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()), "write");
  ::lseek(mem.fd, 0, SEEK_SET);
  Options opts;
  opts.command = {"echo", "{}", "{#}"};
  if (from_file) opts.jobs_file = "/proc/self/fd/" + std::to_string(mem.fd);
  const Inputs in = collect_inputs(opts, mem.fd);
  concur::fuzz::require(in.group_count == 1, "one group");
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  concur::fuzz::require(in.jobs.size() <= lines, "no more jobs than lines");
  const CommandPlan plan(opts, in.group_count);
  std::size_t seq = 0;
  for (const auto& job : in.jobs) {
    concur::fuzz::require(job.seq == ++seq, "jobs numbered 1, 2, ...");
    concur::fuzz::require(job.values.size() == 1, "one value per job");
    const auto& v = job.values[0];
    concur::fuzz::require(v.find_first_not_of(" \t") != std::string::npos, "no blank value");
    concur::fuzz::require(v.find('\n') == std::string::npos, "no newline inside a value");
    const Command c = plan.expand(job, 1);
    concur::fuzz::require(c.argv.size() == 3 && c.argv[1] == v, "{} expands to the value");
  }
  return 0;
}
