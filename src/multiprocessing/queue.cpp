// Queue's untyped core and Value's lock. A message is a 64-bit length and the bytes; the
// writer lock keeps a message's bytes contiguous in the socket, the reader lock lets one
// reader take a whole message. The locks are robust: a process killed while holding one
// does not wedge the others (the next locker recovers it).
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <new>
#include <system_error>

#include "concur/multiprocessing/queue.hpp"
#include "concur/multiprocessing/value.hpp"
#include "multiprocessing/channel.hpp"

namespace concur::multiprocessing::detail {

namespace {

struct QueueState {
  pthread_mutex_t read_lock;
  pthread_mutex_t write_lock;
  std::atomic<std::int64_t> count;
};

QueueState* state_of(SharedMemory& m) { return reinterpret_cast<QueueState*>(m.data()); }

// Locks `m`, waiting at most until `deadline` (steady clock) if given. Uses
// pthread_mutex_timedlock (CLOCK_REALTIME, converted from the time left) rather than
// pthread_mutex_clocklock, which sanitizers do not intercept.
int lock_until(pthread_mutex_t* m, std::optional<std::chrono::steady_clock::time_point> deadline) {
  int r;
  if (!deadline) {
    r = ::pthread_mutex_lock(m);
  } else {
    const auto left = *deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      r = ::pthread_mutex_trylock(m);
      if (r == EBUSY) r = ETIMEDOUT;
    } else {
      const auto at = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
      const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                        static_cast<long>(ns % 1'000'000'000)};
      r = ::pthread_mutex_timedlock(m, &ts);
    }
  }
  if (r == EOWNERDEAD) {
    ::pthread_mutex_consistent(m);
    return 0;
  }
  return r;
}

}  // namespace

void ProcessLock::init(pthread_mutex_t* m, bool recursive) {
  pthread_mutexattr_t a;
  ::pthread_mutexattr_init(&a);
  ::pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  ::pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (recursive) ::pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  const int r = ::pthread_mutex_init(m, &a);
  ::pthread_mutexattr_destroy(&a);
  if (r != 0) throw std::system_error(r, std::generic_category(), "pthread_mutex_init");
}

void ProcessLock::lock() {
  const int r = lock_until(m_, std::nullopt);
  if (r != 0) throw std::system_error(r, std::generic_category(), "pthread_mutex_lock");
}

bool ProcessLock::try_lock() {
  const int r = ::pthread_mutex_trylock(m_);
  if (r == EOWNERDEAD) {
    ::pthread_mutex_consistent(m_);
    return true;
  }
  return r == 0;
}

void ProcessLock::unlock() { ::pthread_mutex_unlock(m_); }

ByteQueue::Sockets::~Sockets() {
  close_fd(in);
  close_fd(out);
}

ByteQueue::ByteQueue() : state_(sizeof(QueueState)), sock_(std::make_shared<Sockets>()) {
  QueueState* s = state_of(state_);
  ProcessLock::init(&s->read_lock);
  ProcessLock::init(&s->write_lock);
  new (&s->count) std::atomic<std::int64_t>(0);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  sock_->in = sv[0];
  sock_->out = sv[1];
}

void ByteQueue::adopt_(int in, int out) {
  sock_ = std::make_shared<Sockets>();
  sock_->in = ::fcntl(in, F_DUPFD_CLOEXEC, 0);
  sock_->out = ::fcntl(out, F_DUPFD_CLOEXEC, 0);
  if (sock_->in < 0 || sock_->out < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
}

void ByteQueue::put(const std::string& bytes) {
  QueueState* s = state_of(state_);
  ProcessLock writer(&s->write_lock);
  std::lock_guard<ProcessLock> lock(writer);
  const std::uint64_t n = bytes.size();
  s->count.fetch_add(1);
  if (!write_all(sock_->in, &n, sizeof n) || !write_all(sock_->in, bytes.data(), bytes.size()))
    throw std::system_error(EPIPE, std::generic_category(), "concur::multiprocessing: Queue.put");
}

bool ByteQueue::get(std::string& bytes, bool block, std::optional<Duration> timeout) {
  QueueState* s = state_of(state_);
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (!block)
    deadline = start;
  else if (timeout)
    deadline = start + std::chrono::duration_cast<std::chrono::nanoseconds>(*timeout);
  const int r = lock_until(&s->read_lock, deadline);
  if (r == ETIMEDOUT) return false;
  if (r != 0) throw std::system_error(r, std::generic_category(), "pthread_mutex_lock");
  ProcessLock held(&s->read_lock);
  std::lock_guard<ProcessLock> unlock_at_end(held, std::adopt_lock);
  int wait_ms = -1;
  if (deadline) {
    const auto left =
        std::chrono::duration<double, std::milli>(*deadline - std::chrono::steady_clock::now())
            .count();
    wait_ms = left <= 0 ? 0 : static_cast<int>(std::ceil(left));
  }
  if (!wait_readable(sock_->out, wait_ms)) return false;
  std::uint64_t n = 0;
  if (read_all(sock_->out, &n, sizeof n) != sizeof n)
    throw ProcessError("concur::multiprocessing: Queue broken");
  bytes.resize(n);
  if (read_all(sock_->out, bytes.data(), n) != n)
    throw ProcessError("concur::multiprocessing: Queue broken");
  s->count.fetch_sub(1);
  return true;
}

std::size_t ByteQueue::qsize() const {
  auto* s = reinterpret_cast<const QueueState*>(state_.data());
  const auto c = s->count.load();
  return c < 0 ? 0 : static_cast<std::size_t>(c);
}

}  // namespace concur::multiprocessing::detail
