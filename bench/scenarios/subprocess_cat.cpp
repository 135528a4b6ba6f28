// cat_roundtrip_256mib: 256 MiB (16 MiB under --quick) into `cat` and back out, captured.
//
// raw_poll_loop is the limit: posix_spawn, non-blocking pipes, one poll() loop, output read into
// a buffer allocated at its known final size (concur does not know the size). concur_run gets
// its input with std::move, as a program that cares about a 256 MiB copy would pass it.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <concur/subprocess.hpp>
#include <stdexcept>

#include "harness/harness.hpp"

namespace {

using namespace concur::bench;

std::size_t size() { return (quick() ? std::size_t{16} : std::size_t{256}) << 20; }

// Built in setup and freed in teardown: a 256 MiB buffer left behind would slow down every
// fork-based impl of the scenarios that run after this one.
std::string input_data;

const std::string& data() { return input_data; }

void make_data() {
  input_data.assign(size(), '\0');
  for (std::size_t i = 0; i < input_data.size(); ++i)
    input_data[i] = static_cast<char>('a' + i % 23);
}

double concur_run() {
  std::string input = data();  // the caller's own copy, handed over with std::move (not timed)
  std::string out;
  const double t = time_it([&] {
    out = concur::subprocess::run({"cat"}, {.input = std::move(input), .capture_output = true}).out;
  });
  if (out != data()) throw std::runtime_error("cat lost bytes");
  return t;
}

double raw_poll_loop() {
  std::string out;
  std::size_t got = 0;
  const double t = time_it([&] {
    out.resize(data().size());  // the result is part of the job; its size is known in advance
    int in[2], res[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(res, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, res[1], 1);
    char* argv[] = {const_cast<char*>("cat"), nullptr};
    pid_t pid;
    if (::posix_spawnp(&pid, "cat", &fa, nullptr, argv, environ) != 0)
      throw std::runtime_error("spawn");
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(res[1]);
    ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    ::fcntl(res[0], F_SETFL, O_NONBLOCK);
    std::size_t sent = 0;
    int wfd = in[1];
    int rfd = res[0];
    while (rfd >= 0) {
      pollfd fds[2];
      nfds_t n = 0;
      fds[n++] = {rfd, POLLIN, 0};
      if (wfd >= 0) fds[n++] = {wfd, POLLOUT, 0};
      if (::poll(fds, n, -1) < 0) continue;
      if (n == 2 && fds[1].revents != 0) {
        const ssize_t w = ::write(wfd, data().data() + sent, data().size() - sent);
        if (w > 0) sent += static_cast<std::size_t>(w);
        if (sent == data().size() || (w < 0 && errno != EAGAIN)) {
          ::close(wfd);
          wfd = -1;
        }
      }
      if (fds[0].revents != 0) {
        while (true) {
          const ssize_t r = ::read(rfd, out.data() + got, out.size() - got);
          if (r > 0) {
            got += static_cast<std::size_t>(r);
            continue;
          }
          if (r == 0 || got == out.size()) {
            ::close(rfd);
            rfd = -1;
          }
          break;
        }
      }
    }
    int status;
    ::waitpid(pid, &status, 0);
  });
  if (got != data().size()) throw std::runtime_error("raw loop lost bytes");
  return t;
}

Register cat_roundtrip{[] {
  return Scenario{
      .id = "cat_roundtrip_256mib",
      .description = std::to_string(size() >> 20) + " MiB in and out of `cat`, captured",
      .reference = "concur_run",
      .impls = {{"concur_run", concur_run},
                {"raw_poll_loop", raw_poll_loop},
                {"python_communicate",
                 [] { return run_python("cat_roundtrip.py", {std::to_string(size())}); }}},
      .repetitions = 5,
      .setup = make_data,
      .teardown = [] { std::string().swap(input_data); },
  };
}};

}  // namespace
