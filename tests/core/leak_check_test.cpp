#include <fcntl.h>
#include <gtest/gtest-spi.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/leak_check.hpp"

TEST(LeakGuard, NoticesALeakedFd) {
  concur::test::LeakGuard guard;
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_NONFATAL_FAILURE(guard.check(), "leaked fds");
  ::close(fd);
  guard.check();
}

TEST(LeakGuard, NoticesAnUnreapedChild) {
  concur::test::LeakGuard guard;
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ASSERT_GT(pid, 0);
  // The child exits at once; until we reap it, it is a zombie child of ours.
  ASSERT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(pid); }));
  EXPECT_NONFATAL_FAILURE(guard.check(), "children left unreaped");
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  guard.check();
}
