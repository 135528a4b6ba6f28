// Private: the state behind a Popen handle, and the process-level operations on it.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/subprocess/popen.hpp"

namespace concur::subprocess {

/// Output collected by communicate(), read straight into `data`: only data[0, len) is output.
/// Page faults dominate big transfers, so the buffer is grown to touch as little fresh memory as
/// possible: `reserve` only claims address space (untouched pages cost nothing), `resize` zeroes at
/// most 1 MiB ahead of the reads, and after 1 MiB the capacity jumps to `hint` (the input size:
/// a filter's output is usually about as large) so a copy to a bigger buffer is rare.
struct Sink {
  static constexpr std::size_t ahead = 1 << 20;
  std::string data;
  std::size_t len = 0;
  std::size_t hint = 0;
  bool skip_lf = false;  // text mode: a '\r' just before data[0] was already returned as '\n'
  char* room(std::size_t at_least) {
    if (data.size() - len < at_least) {
      if (len + at_least > data.capacity()) {
        std::size_t want = data.capacity() < 64 * 1024 ? 64 * 1024 : data.capacity() * 2;
        if (want > ahead) want = std::max(want, hint);
        data.reserve(std::max(want, len + at_least));
      }
      data.resize(std::min(data.capacity(), len + std::max(at_least, ahead)));
    }
    return data.data() + len;
  }
  std::size_t room_size() const { return data.size() - len; }
  std::string copy() const { return data.substr(0, len); }
  std::string take() {
    data.resize(len);
    if (len < ahead) data.shrink_to_fit();
    len = 0;
    std::string out = std::move(data);
    data = std::string();
    return out;
  }
};

struct Popen::State {
  std::vector<std::string> args;
  pid_t pid = -1;
  concur::detail::UniqueFd pidfd;   // immutable after construction: safe for send_signal
  std::atomic<bool> reaped{false};  // read by send_signal from other threads
  std::optional<int> returncode;
  PipeStream in, out, err;
  bool piped[3] = {false, false, false};  // in(), out(), err() stay valid after close()
  bool text = false;
  bool leads_group = false;     // start_new_session or process_group == 0: killpg(pid) reaches all
  bool pipesize_fixed = false;  // Options::pipesize given: communicate() does not grow pipes

  // communicate() progress, kept across TimeoutExpired
  bool communicating = false;
  std::string input;
  std::size_t input_done = 0;
  Sink out_raw, err_raw;

  /// Records a waitpid status (concur::detail::returncode_of); marks the child reaped.
  void set_status(int status);
  /// waitpid(WNOHANG); true once reaped.
  bool reap_nohang();
  /// Waits until the child is reaped or `deadline` passes; true if reaped.
  bool wait_until(const concur::detail::Deadline& deadline);
  /// Waits until the child has exited (a zombie, NOT reaped: its pid and group id stay ours)
  /// or `deadline` passes; true if it exited.
  bool wait_exited(const concur::detail::Deadline& deadline);
  /// Sends `sig` to the child (pidfd first: never a recycled pid); nothing once reaped.
  void signal(int sig);
  /// Sends `sig` to the child's whole group when it leads one, else to the child only.
  void signal_tree(int sig);
};

/// Access to PipeStream internals for the implementation.
struct PopenAccess {
  static Popen::State& state(Popen& p) { return *p.state_; }
  static int& fd(PipeStream& s) { return s.fd_; }
  static bool& text(PipeStream& s) { return s.text_; }
  static bool& pending_cr(PipeStream& s) { return s.pending_cr_; }
  /// Moves out what PipeStream has buffered but not yet returned.
  static std::string take_buffered(PipeStream& s) {
    std::string rest = s.buffer_.substr(s.pos_);
    s.buffer_.clear();
    s.pos_ = 0;
    return rest;
  }
};

}  // namespace concur::subprocess
