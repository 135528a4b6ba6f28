// ByteQueue, the handle all multiprocessing queues share: creating a queue's shared parts,
// adopting them from fds received with a task, and the per-call checks (closed handle,
// negative timeout, maxsize). The ring is in queue_ring.cpp, the feeder in queue_feeder.cpp.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <new>
#include <stdexcept>

#include "concur/detail/core/futex.hpp"
#include "multiprocessing/channel.hpp"
#include "multiprocessing/queue_impl.hpp"
#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing::detail {
namespace {

using concur::detail::futex_wait_until;
using concur::detail::futex_wake;

UniqueFd dup_cloexec(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(copy);
}

void check_open(const QueueImpl& q, const char* what) {
  if (q.closed.load(std::memory_order_relaxed))
    throw std::invalid_argument(std::string("concur::multiprocessing: ") + what +
                                " on a closed Queue");
}

// Reserves one of maxsize's slots (Python's BoundedSemaphore in put()). Throws Full.
void reserve_slot(QueueShared& s, bool block, const Deadline& deadline) {
  if (s.maxsize == 0) return;  // nothing to wait for: counted where it goes (ring or buffer)
  for (;;) {
    std::uint32_t c = s.count.load(std::memory_order_seq_cst);
    if (c < s.maxsize) {
      if (s.count.compare_exchange_weak(c, c + 1, std::memory_order_seq_cst)) return;
      continue;
    }
    if (!block || deadline.expired()) throw Full();
    s.put_waiters.fetch_add(1, std::memory_order_seq_cst);
    futex_wait_until(s.count, c, deadline, true);
    s.put_waiters.fetch_sub(1, std::memory_order_seq_cst);
  }
}

// The handles' shared_ptr: its deleter tells the queue that no user handle is left in this
// process (the feeder may still hold the owning reference).
std::shared_ptr<QueueImpl> user_handle(std::shared_ptr<QueueImpl> impl) {
  QueueImpl* raw = impl.get();
  return std::shared_ptr<QueueImpl>(raw, [owner = std::move(impl)](QueueImpl*) mutable {
    owner->release_user();
    owner.reset();
  });
}

}  // namespace

QueueItem::~QueueItem() { reset(); }

void QueueItem::reset() {
  body_.clear();
  fds_.clear();
}

QueueImpl::QueueImpl(SharedMemory m, UniqueFd t, UniqueFd r)
    : mem(std::move(m)), tx(std::move(t)), rx(std::move(r)), pid(self_pid()) {
  if (mem.size() < kRingOffset + 64 || shared().magic != kQueueMagic ||
      shared().capacity != kRingCapacity || kRingOffset + kRingCapacity > mem.size())
    throw ProcessError("concur::multiprocessing: not a Queue's shared memory");
}

ByteQueue::ByteQueue(std::size_t maxsize, bool joinable) {
  if (maxsize >= UINT32_MAX) throw std::invalid_argument("Queue: maxsize must be < 2^32 - 1");
  SharedMemory mem(kRingOffset + kRingCapacity);
  auto* s = new (mem.data()) QueueShared{};
  s->magic = kQueueMagic;
  s->joinable = joinable ? 1 : 0;
  s->maxsize = maxsize;
  s->capacity = kRingCapacity;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw_errno("socketpair(queue)");
  impl_ptr_ =
      user_handle(std::make_shared<QueueImpl>(std::move(mem), UniqueFd(sv[0]), UniqueFd(sv[1])));
}

void ByteQueue::adopt_(SharedMemory mem, int tx, int rx) {
  impl_ptr_ =
      user_handle(std::make_shared<QueueImpl>(std::move(mem), dup_cloexec(tx), dup_cloexec(rx)));
}

QueueImpl& ByteQueue::impl_() const {
  if (!impl_ptr_) throw ProcessError("concur::multiprocessing: an empty Queue handle");
  return *impl_ptr_;
}
const SharedMemory& ByteQueue::mem_() const { return impl_().mem; }
int ByteQueue::tx_() const { return impl_().tx.get(); }
int ByteQueue::rx_() const { return impl_().rx.get(); }

void ByteQueue::put(Payload body, FdList fds, bool block, std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  QueueImpl& q = impl_();
  check_open(q, "put()");
  if (fds.size() > kMaxItemFds)
    throw ProcessError("concur::multiprocessing: a Queue item may carry at most 250 handles");
  Pending p;
  body.finish();
  p.body = std::move(body);
  p.fds = std::move(fds);
  QueueShared& s = q.shared();
  reserve_slot(s, block, Deadline::after(timeout));
  if (s.joinable) s.unfinished.fetch_add(1, std::memory_order_relaxed);
  try {
    q.put(std::move(p));
  } catch (...) {
    q.unreserve();
    throw;
  }
}

bool ByteQueue::get(QueueItem& item, bool block, std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  QueueImpl& q = impl_();
  check_open(q, "get()");
  item.reset();
  const Deadline deadline = block ? Deadline::after(timeout) : Deadline::after(Duration::zero());
  return q.get(item, deadline);
}

std::size_t ByteQueue::qsize() const {
  const QueueShared& s = impl_().shared();
  if (s.maxsize != 0) return s.count.load();
  // `taken` first: every item it counts was counted in `pushed` before (pushed before it can be
  // taken; the release/acquire pair carries that here). An item moving from a buffer to the ring
  // is counted in `pushed` before it leaves `buffered`: a snapshot may count it twice, never not.
  const std::uint32_t taken = s.taken.load(std::memory_order_acquire);
  const std::uint32_t buffered = s.buffered.load(std::memory_order_acquire);
  const std::uint32_t n = s.pushed.load(std::memory_order_acquire) + buffered - taken;
  return n > INT32_MAX ? 0 : n;
}
std::size_t ByteQueue::maxsize() const { return impl_().shared().maxsize; }
void ByteQueue::close() { impl_().close(); }
void ByteQueue::join_thread() { impl_().join_thread(); }
void ByteQueue::cancel_join_thread() {
  QueueImpl& q = impl_();
  std::lock_guard lock(q.m);
  q.cancel_join = true;
  q.drained.notify_all();
}

void ByteQueue::task_done() {
  QueueShared& s = impl_().shared();
  std::uint32_t c = s.unfinished.load();
  do {
    if (c == 0) throw std::invalid_argument("task_done() called too many times");
  } while (!s.unfinished.compare_exchange_weak(c, c - 1));
  if (c == 1) futex_wake(s.unfinished, INT_MAX, true);
}

void ByteQueue::join() {
  QueueShared& s = impl_().shared();
  for (std::uint32_t c = s.unfinished.load(); c != 0; c = s.unfinished.load())
    futex_wait_until(s.unfinished, c, Deadline::never(), true);
}

}  // namespace concur::multiprocessing::detail
