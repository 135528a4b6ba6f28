// Test helper: copies stdin to BOTH stdout and stderr as it reads, chunk by chunk, without
// buffering ahead — a child that deadlocks any parent that does not serve all pipes at once.
// With an argument N it first writes N extra bytes ('e') to stderr.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

static bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int main(int argc, char** argv) {
  if (argc > 1) {
    const std::string extra(std::strtoul(argv[1], nullptr, 10), 'e');
    if (!write_all(2, extra.data(), extra.size())) return 2;
  }
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    if (n == 0) return 0;
    if (!write_all(1, buf, static_cast<std::size_t>(n))) return 3;
    if (!write_all(2, buf, static_cast<std::size_t>(n))) return 4;
  }
}
