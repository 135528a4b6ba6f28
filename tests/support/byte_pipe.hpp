// Test support: a pipe whose read end blocks a process-pool task until the test writes a byte —
// how tests hold a worker busy at a known point without sleeping.
//
//   concur::test::BytePipe gate;  // made before the pool: its workers inherit it
//   auto f = pool.submit(&concur::test::read_byte, gate.fds[0]);
//   gate.write_byte('x');         // f.result() == 'x'
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

namespace concur::test {

/// Reads one byte from `fd`: the byte, or -1 at EOF or on error. A plain function, so that
/// worker processes can run it.
inline int read_byte(int fd) {
  char c = 0;
  return ::read(fd, &c, 1) == 1 ? int{c} : -1;
}

/// A pipe, closed on destruction.
struct BytePipe {
  int fds[2] = {-1, -1};
  BytePipe() { EXPECT_EQ(::pipe(fds), 0); }
  ~BytePipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  BytePipe(const BytePipe&) = delete;
  BytePipe& operator=(const BytePipe&) = delete;
  void write_byte(char c) const { EXPECT_EQ(::write(fds[1], &c, 1), 1); }
};

}  // namespace concur::test
