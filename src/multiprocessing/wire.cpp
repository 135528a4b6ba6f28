#include "concur/multiprocessing/detail/wire.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {

std::vector<int> FdList::release() {
  std::vector<int> out = std::move(fds_);
  fds_.clear();
  return out;
}

void FdList::close_all() noexcept {
  for (int fd : fds_) concur::detail::close_fd(fd);
  fds_.clear();
}

FdList*& current_fd_sink() {
  thread_local FdList* sink = nullptr;
  return sink;
}

const FdList*& current_fd_source() {
  thread_local const FdList* source = nullptr;
  return source;
}

std::ostream& thread_output_stream() {
  thread_local std::ostream os(nullptr);  // a Writer lends it a buffer (StreamLoan)
  return os;
}

std::uint32_t attach_fd(int fd) {
  FdList* sink = current_fd_sink();
  if (sink == nullptr)
    throw ProcessError(
        "concur::multiprocessing: a handle can only travel as a task or Process "
        "argument, a result or through a Connection");
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) concur::detail::throw_errno("concur::multiprocessing: fcntl(F_DUPFD_CLOEXEC)");
  sink->push(copy);
  return static_cast<std::uint32_t>(sink->size() - 1);
}

int attached_fd(std::uint32_t index) {
  const FdList* source = current_fd_source();
  if (source == nullptr || index >= source->size())
    throw ProcessError("concur::multiprocessing: a handle arrived without its file descriptor");
  return source->fds()[index];
}

}  // namespace concur::multiprocessing::detail
