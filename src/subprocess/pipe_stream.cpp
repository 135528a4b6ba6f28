// PipeStream: blocking reads and writes over our non-blocking end of a child's pipe.
// Our ends are O_NONBLOCK (so communicate() can multiplex them); here EAGAIN waits in poll().
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/subprocess/popen.hpp"
#include "subprocess/sigpipe.hpp"
#include "subprocess/text.hpp"

namespace concur::subprocess {
namespace {

constexpr std::size_t chunk = 64 * 1024;

void wait_ready(int fd, short events) {
  pollfd p{fd, events, 0};
  while (::poll(&p, 1, -1) < 0) {
    if (errno != EINTR) concur::detail::throw_errno("poll");
  }
}

void require_open(int fd) {
  if (fd < 0) throw std::logic_error("concur::subprocess::PipeStream: closed");
}

}  // namespace

PipeStream::~PipeStream() { close(); }

void PipeStream::write(std::string_view bytes) {
  require_open(fd_);
  detail::SigpipeGuard guard;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN) {
      wait_ready(fd_, POLLOUT);
    } else if (errno == EPIPE) {
      guard.note_epipe();
      throw BrokenPipeError("write to child's stdin");
    } else if (errno != EINTR) {
      concur::detail::throw_errno("write to child's stdin");
    }
  }
}

bool PipeStream::fill() {
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  const std::size_t old = buffer_.size();
  buffer_.resize(old + chunk);
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + old, chunk);
    if (n > 0) {
      buffer_.resize(old + static_cast<std::size_t>(n));
      if (text_) {
        std::string fresh = buffer_.substr(old);
        detail::normalise_newlines(fresh, pending_cr_);
        buffer_.replace(old, std::string::npos, fresh);
        if (buffer_.size() == old) continue;  // only a '\n' completing "\r\n": read on
      }
      return true;
    }
    if (n == 0) {
      buffer_.resize(old);
      return false;
    }
    if (errno == EAGAIN) {
      wait_ready(fd_, POLLIN);
    } else if (errno != EINTR) {
      buffer_.resize(old);
      concur::detail::throw_errno("read from child");
    }
  }
}

std::string PipeStream::read(std::size_t max) {
  require_open(fd_);
  while (buffer_.size() - pos_ < max && fill()) {
  }
  const std::size_t n = std::min(max, buffer_.size() - pos_);
  std::string out = buffer_.substr(pos_, n);
  pos_ += n;
  return out;
}

std::optional<std::string> PipeStream::readline() {
  require_open(fd_);
  std::size_t searched = pos_;
  while (true) {
    const auto nl = buffer_.find('\n', searched);
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(pos_, nl + 1 - pos_);
      pos_ = nl + 1;
      return line;
    }
    const std::size_t scanned = buffer_.size() - pos_;  // fill() may move pos_ to 0
    if (!fill()) break;
    searched = pos_ + scanned;
  }
  if (pos_ == buffer_.size()) return std::nullopt;
  std::string rest = buffer_.substr(pos_);
  buffer_.clear();
  pos_ = 0;
  return rest;
}

void PipeStream::close() {
  concur::detail::close_fd(fd_);
  fd_ = -1;
  buffer_.clear();
  pos_ = 0;
}

int PipeStream::fileno() const { return fd_; }

}  // namespace concur::subprocess
