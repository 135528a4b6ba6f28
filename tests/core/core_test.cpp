// The private core: deadlines (one clamping rule), the exit-status decoder, fds and I/O loops,
// futexes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <set>
#include <string>
#include <system_error>
#include <thread>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/error.hpp"
#include "concur/detail/core/exit_status.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/detail/core/futex.hpp"
#include "concur/detail/core/random.hpp"
#include "concur/errors.hpp"
#include "support/leak_check.hpp"

using namespace std::chrono_literals;
namespace cd = concur::detail;

TEST(Deadline, NulloptNeverExpires) {
  const auto d = cd::Deadline::after(std::optional<concur::Duration>{});
  EXPECT_TRUE(d.is_never());
  EXPECT_FALSE(d.expired());
  EXPECT_EQ(d.poll_ms(), -1);
  EXPECT_FALSE(d.abs_timespec().has_value());
}

TEST(Deadline, ZeroAndNegativeAreAlreadyExpired) {
  for (const concur::Duration t : {concur::Duration(0), concur::Duration(-3)}) {
    const auto d = cd::Deadline::after(t);
    EXPECT_TRUE(d.expired());
    EXPECT_EQ(d.poll_ms(), 0);
    EXPECT_EQ(d.remaining(), concur::Duration::zero());
  }
}

TEST(Deadline, HugeTimeoutSaturatesInsteadOfOverflowing) {
  const auto d = cd::Deadline::after(concur::Duration(1e300));
  EXPECT_FALSE(d.is_never());
  EXPECT_FALSE(d.expired());
  EXPECT_GT(d.time_point(), cd::Clock::now() + std::chrono::hours(24 * 365 * 100));
  EXPECT_EQ(d.poll_ms(), INT_MAX);
}

TEST(Deadline, PollMillisecondsRoundUpSoAWaitNeverReturnsEarly) {
  const auto d = cd::Deadline::after(1500us);
  const int ms = d.poll_ms();
  EXPECT_GE(ms, 1);
  EXPECT_LE(ms, 2);
}

TEST(Deadline, CheckTimeoutRejectsNegativeAsPython) {
  EXPECT_THROW(cd::check_timeout(concur::Duration(-0.5)), std::invalid_argument);
  EXPECT_NO_THROW(cd::check_timeout(concur::Duration(0)));
  EXPECT_NO_THROW(cd::check_timeout(std::nullopt));
}

TEST(ExitStatus, DecodesExitCodesAndSignalsAsPython) {
  for (const int code : {0, 1, 42, 255}) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(code);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(cd::returncode_of(status), code);
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::raise(SIGTERM);
    ::_exit(0);
  }
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED), 0);
  EXPECT_EQ(cd::returncode_of(info), -SIGTERM);
}

TEST(Fd, PipeIsCloexecAndClosedByOwner) {
  concur::test::LeakGuard guard;
  {
    auto [r, w] = cd::make_pipe();
    EXPECT_TRUE(::fcntl(r.get(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(::fcntl(w.get(), F_GETFD) & FD_CLOEXEC);
    cd::UniqueFd moved = std::move(w);
    EXPECT_FALSE(w);
    EXPECT_TRUE(moved);
  }
  guard.check();
}

TEST(Fd, WriteAllAndReadAllMoveMoreThanAPipeBuffer) {
  auto [a, b] = cd::make_socketpair();
  const std::string big(1 << 20, 'x');
  std::thread writer([&, fd = a.get()] {
    EXPECT_TRUE(cd::write_all(fd, big.data(), big.size()));
    ::shutdown(fd, SHUT_WR);
  });
  std::string got(big.size() + 10, '\0');
  EXPECT_EQ(cd::read_all(b.get(), got.data(), got.size()), big.size());  // short at EOF
  writer.join();
  got.resize(big.size());
  EXPECT_EQ(got, big);
}

TEST(Fd, ReadToEndReadsPastItsFirstBufferAndStopsAtTheCap) {
  auto [a, b] = cd::make_socketpair();
  std::string big(100'000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&, fd = a.get()] {
    EXPECT_TRUE(cd::write_all(fd, big.data(), big.size()));
    ::shutdown(fd, SHUT_WR);
  });
  EXPECT_EQ(cd::read_to_end(b.get(), 70'000), big.substr(0, 70'000));  // the rest stays
  EXPECT_EQ(cd::read_to_end(b.get()), big.substr(70'000));             // then EOF
  EXPECT_EQ(cd::read_to_end(b.get()), "");
  EXPECT_EQ(cd::read_to_end(b.get(), 0), "");
  writer.join();
  EXPECT_THROW(cd::read_to_end(-1), std::system_error);
}

TEST(Fd, WriteToClosedPeerReturnsFalseWithoutSigpipe) {
  auto [a, b] = cd::make_socketpair();
  b.reset();
  const char c = 'x';
  EXPECT_FALSE(cd::write_all(a.get(), &c, 1));
}

TEST(Fd, WaitReadableTimesOutThenSeesData) {
  auto [r, w] = cd::make_pipe();
  EXPECT_FALSE(cd::wait_readable(r.get(), 10));
  ASSERT_TRUE(cd::write_all(w.get(), "y", 1));
  EXPECT_TRUE(cd::wait_readable(r.get(), -1));
}

TEST(Error, ThrowErrnoNamesTheCall) {
  try {
    cd::throw_errno(ENOENT, "open(/nonexistent)");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("open(/nonexistent)"), std::string::npos);
  }
}

TEST(Futex, WaitReturnsFalseAtDeadlineAndWakesOnStore) {
  std::atomic<std::uint32_t> word{0};
  EXPECT_FALSE(cd::futex_wait_until(word, 0u, cd::Deadline::after(5ms)));
  std::thread t([&] {
    while (word.load() == 0) cd::futex_wait(word, 0u);
  });
  word.store(1);
  cd::futex_wake(word);
  t.join();
  EXPECT_EQ(word.load(), 1u);
}

TEST(Errors, TimeoutErrorIsARuntimeError) {
  try {
    throw concur::TimeoutError();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "timed out");
  }
}

TEST(Random, EveryBitVariesAndNoValueRepeats) {
  std::set<std::uint64_t> seen;
  std::uint64_t ones = 0, zeros = 0;
  for (int i = 0; i < 256; ++i) {
    const std::uint64_t v = concur::detail::random_u64();
    seen.insert(v);
    ones |= v;
    zeros |= ~v;
  }
  EXPECT_EQ(seen.size(), 256u);  // a repeat among 256 draws of 64 bits: p ~ 2^-49
  EXPECT_EQ(ones, ~std::uint64_t{0}) << "some bit was never 1";
  EXPECT_EQ(zeros, ~std::uint64_t{0}) << "some bit was never 0";
}
