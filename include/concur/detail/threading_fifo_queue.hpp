// concur/detail/threading_fifo_queue.hpp — the engine of concur::queue::Queue (FIFO, bounded or
// not) and SimpleQueue.
//
// Internal; the public contract is in <concur/queue.hpp>. Producers and consumers never share a
// lock: producers take put_m_, consumers get_m_ (each uncontended in a 1-producer/1-consumer
// handoff, on its own cache line), and they meet only on two 64-bit words:
//   tail_  (items put << 2) | shutdown | getters-sleep   — written by a put: one CAS
//   head_  (items got << 2) | shutdown | putters-sleep   — written by a get
// Items live in a linked list of fixed segments: the producer side writes slot tail and then
// publishes it with that CAS (release); the consumer side reads slots below tail (acquire).
// A consumed segment is recycled to the producer through a one-slot exchange, so a warm queue
// does not allocate. A waiter spins briefly, then sets the sleep bit in the word it waits on and
// sleeps on that word's futex (low 32 bits): the other side's publishing CAS clears the bit and
// returns it, so a busy handoff makes no syscall and a burst of puts wakes a sleeping getter once,
// not once per item (a woken getter passes a wake-up on when more items wait). A bounded queue's
// putter waits for room the same way on head_ (only bounded queues publish head_ with an RMW).
// Python's semantics on top: shutdown sets a bit in both words (so every sleeper's futex value
// changes and no wake-up can be lost) under both locks; task_done/join count `done_` against the
// number of items ever put (tail_), so put() pays nothing for them.
//
// Thread safety: every member may be called from any thread concurrently.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/futex.hpp"
#include "concur/detail/sync/spin.hpp"
#include "concur/detail/threading_sync.hpp"
#include "concur/duration.hpp"

namespace concur::detail {

enum class QueueStatus { ok, would_block, shut_down };

template <class T>
class FifoQueue {
  static_assert(std::endian::native == std::endian::little, "futexes watch the low half");
  static constexpr std::uint64_t kSleep = 1, kShut = 2, kOne = 4;
  static constexpr std::size_t kSlots =
      std::bit_floor(std::max<std::size_t>(32, 16384 / sizeof(T)));

  struct Segment {
    std::atomic<Segment*> next{nullptr};
    struct Slot {
      alignas(T) unsigned char bytes[sizeof(T)];
    } slots[kSlots];
    T* at(std::uint64_t index) noexcept {
      return std::launder(reinterpret_cast<T*>(slots[index & (kSlots - 1)].bytes));
    }
  };

 public:
  explicit FifoQueue(std::size_t maxsize = 0)
      : tail_seg_(new Segment), head_seg_(tail_seg_), maxsize_(maxsize) {}
  FifoQueue(const FifoQueue&) = delete;
  FifoQueue& operator=(const FifoQueue&) = delete;
  ~FifoQueue() {
    const std::uint64_t end = tail_.load(std::memory_order_acquire) >> 2;
    for (std::uint64_t i = head_index_; i < end; ++i) {
      if (i >= head_base_ + kSlots) advance_head_segment();
      head_seg_->at(i)->~T();
    }
    for (Segment* s = head_seg_; s != nullptr;) delete std::exchange(s, s->next.load());
    delete spare_.load();
  }

  /// Puts `item` (moved from only on success). would_block: full (and the wait, if any, timed out).
  QueueStatus put_impl(T& item, bool block, const std::optional<Duration>& timeout) {
    if (block) check_timeout(timeout);
    std::optional<Deadline> deadline;
    std::unique_lock lk(put_m_);
    for (;;) {
      const std::uint64_t t = tail_.load(std::memory_order_relaxed);
      if (t & kShut) return QueueStatus::shut_down;
      const std::uint64_t index = t >> 2;
      if (maxsize_ == 0 || index - cached_head_ < maxsize_ ||
          index - (cached_head_ = head_.load(std::memory_order_acquire) >> 2) < maxsize_) {
        publish(index, item);
        // A get woke only us: pass a wake-up on if there is room for other sleeping putters.
        if (deadline && index + 1 - cached_head_ < maxsize_ &&
            putters_sleeping_.load(std::memory_order_relaxed) != 0) {
          lk.unlock();
          futex_wake(low_word(head_), 1);
        }
        return QueueStatus::ok;
      }
      if (!block) return QueueStatus::would_block;
      if (!deadline) deadline = Deadline::after(timeout);
      lk.unlock();  // never sleep holding put_m_: other putters' deadlines must keep running
      const bool in_time = wait_for_room(*deadline);
      lk.lock();
      if (!in_time) {
        const std::uint64_t now = tail_.load(std::memory_order_relaxed);
        if (now & kShut) return QueueStatus::shut_down;
        if ((now >> 2) - (head_.load(std::memory_order_acquire) >> 2) >= maxsize_)
          return QueueStatus::would_block;
      }
    }
  }

  /// Gets into `out`. would_block: empty (and the wait, if any, timed out); shut_down: shut down
  /// and drained.
  QueueStatus get_impl(std::optional<T>& out, bool block, const std::optional<Duration>& timeout) {
    if (block) check_timeout(timeout);
    std::optional<Deadline> deadline;
    bool spun = false, slept = false;
    for (;;) {
      std::uint64_t t;
      {
        std::unique_lock g(get_m_);
        t = tail_.load(std::memory_order_acquire);
        if ((t >> 2) != head_index_) {
          take(out);
          // A put woke only us: pass a wake-up on if more items wait for other sleepers.
          const bool more = (t >> 2) != head_index_;
          g.unlock();
          if (slept && more && getters_sleeping_.load(std::memory_order_relaxed) != 0)
            futex_wake(low_word(tail_), 1);
          return QueueStatus::ok;
        }
        if (t & kShut) return QueueStatus::shut_down;
      }
      if (!block) return QueueStatus::would_block;
      if (!deadline) deadline = Deadline::after(timeout);
      const auto moved = [&] {
        return (tail_.load(std::memory_order_relaxed) & ~kSleep) != (t & ~kSleep);
      };
      if (deadline->expired()) return QueueStatus::would_block;
      if (!spun) {
        spun = true;
        if (sync::spin_until(moved)) continue;
      }
      sleep_on(tail_, t & ~kSleep, getters_sleeping_, *deadline);
      slept = true;
    }
  }

  std::size_t qsize() const noexcept {
    // head first: both only grow, so tail >= head at the moment we read tail.
    const std::uint64_t h = head_.load(std::memory_order_relaxed) >> 2;
    const std::uint64_t t = tail_.load(std::memory_order_relaxed) >> 2;
    return static_cast<std::size_t>(t - h);
  }
  bool empty() const noexcept { return qsize() == 0; }
  bool full() const noexcept { return maxsize_ > 0 && qsize() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }

  void task_done() {
    std::uint64_t d = done_.load(std::memory_order_relaxed);
    do {
      if (d >= (tail_.load(std::memory_order_acquire) >> 2))
        throw std::logic_error("task_done() called too many times");
    } while (!done_.compare_exchange_weak(d, d + 1, std::memory_order_seq_cst,
                                          std::memory_order_relaxed));
    if (d + 1 == (tail_.load(std::memory_order_seq_cst) >> 2)) wake_joiners();
  }

  void join() {
    for (;;) {
      const std::uint32_t seq = join_seq_.load(std::memory_order_acquire);
      joiners_.fetch_add(1, std::memory_order_seq_cst);
      const bool finished =
          done_.load(std::memory_order_seq_cst) >= (tail_.load(std::memory_order_seq_cst) >> 2);
      if (!finished) futex_wait(join_seq_, seq);
      joiners_.fetch_sub(1, std::memory_order_relaxed);
      if (finished) return;
    }
  }

  void shutdown(bool immediate) {
    std::vector<T> drained;  // destroyed after the locks are released: destructors may use us
    {
      std::scoped_lock lk(put_m_, get_m_);
      tail_.fetch_or(kShut, std::memory_order_seq_cst);
      head_.fetch_or(kShut, std::memory_order_seq_cst);
      if (immediate) {
        const std::uint64_t end = tail_.load(std::memory_order_relaxed) >> 2;
        const std::uint64_t n = end - head_index_;
        drained.reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) {
          std::optional<T> item;
          take(item);
          drained.push_back(std::move(*item));
        }
        // Python: unfinished_tasks drops by the discarded items (never below zero).
        std::uint64_t d = done_.load(std::memory_order_relaxed);
        while (!done_.compare_exchange_weak(d, std::min(end, d + n))) {
        }
      }
    }
    futex_wake(low_word(tail_), INT_MAX);
    futex_wake(low_word(head_), INT_MAX);
    if (immediate) wake_joiners();
  }

  bool is_shutdown() const noexcept { return (tail_.load(std::memory_order_acquire) & kShut) != 0; }

 private:
  // Under put_m_: constructs item `index` and publishes it.
  void publish(std::uint64_t index, T& item) {
    if (index >= tail_base_ + kSlots) {  // (a retry after a throwing move does not come here)
      Segment* s = spare_.exchange(nullptr, std::memory_order_acquire);
      if (s == nullptr) s = new Segment;
      s->next.store(nullptr, std::memory_order_relaxed);
      tail_seg_->next.store(s, std::memory_order_release);
      tail_seg_ = s;
      tail_base_ += kSlots;
    }
    ::new (static_cast<void*>(tail_seg_->at(index))) T(std::move(item));
    if (advance(tail_) & kSleep) futex_wake(low_word(tail_), 1);
  }

  // Under get_m_, an item is there: moves it out and publishes the new head.
  void take(std::optional<T>& out) {
    const std::uint64_t i = head_index_;
    if (i >= head_base_ + kSlots) advance_head_segment();
    T* p = head_seg_->at(i);
    out.emplace(std::move(*p));
    p->~T();
    head_index_ = i + 1;
    if (maxsize_ == 0) {
      // Nobody sleeps on head_ and only we write it (shutdown's bit matters to putters only).
      head_.store(head_index_ << 2, std::memory_order_release);
    } else if (advance(head_) & kSleep) {
      futex_wake(low_word(head_), 1);
    }
  }

  void advance_head_segment() noexcept {
    Segment* done = head_seg_;
    head_seg_ = done->next.load(std::memory_order_acquire);
    head_base_ += kSlots;
    delete spare_.exchange(done, std::memory_order_acq_rel);
  }

  // Unlocked: spins, then sleeps until a get makes room, shutdown, or the deadline (false).
  bool wait_for_room(const Deadline& deadline) {
    const auto room = [&] {
      const std::uint64_t h = head_.load(std::memory_order_acquire);
      return (h & kShut) || (tail_.load(std::memory_order_relaxed) >> 2) - (h >> 2) < maxsize_;
    };
    if (sync::spin_until(room)) return true;
    for (;;) {
      const std::uint64_t h = head_.load(std::memory_order_acquire) & ~kSleep;
      if (room()) return true;
      if (!sleep_on(head_, h, putters_sleeping_, deadline)) return room();
    }
  }

  // One more item put (tail_) or got (head_), clearing the sleep bit in the same CAS; returns the
  // old word: its sleep bit says whether to wake one sleeper. Only wakers clear the bit — a
  // sleeper clearing it could leave a newer sleeper asleep with no bit to be woken by.
  static std::uint64_t advance(std::atomic<std::uint64_t>& word) noexcept {
    std::uint64_t old = word.load(std::memory_order_relaxed);
    while (!word.compare_exchange_weak(old, (old + kOne) & ~kSleep, std::memory_order_release,
                                       std::memory_order_relaxed)) {
    }
    return old;
  }

  // Sleeps while `word` is `seen` (without the sleep bit), first setting the bit so the next
  // advance() wakes one sleeper. A woken sleeper sets the bit again while others still sleep.
  // Returns false when the deadline passed.
  bool sleep_on(std::atomic<std::uint64_t>& word, std::uint64_t seen,
                std::atomic<std::uint32_t>& sleepers, const Deadline& deadline) {
    sleepers.fetch_add(1, std::memory_order_relaxed);
    bool in_time = true;
    std::uint64_t expected = seen;
    if (word.compare_exchange_strong(expected, seen | kSleep, std::memory_order_relaxed) ||
        expected == (seen | kSleep))
      in_time =
          futex_wait_until(low_word(word), static_cast<std::uint32_t>(seen | kSleep), deadline);
    if (sleepers.fetch_sub(1, std::memory_order_relaxed) > 1)
      word.fetch_or(kSleep, std::memory_order_relaxed);
    return in_time && !deadline.expired();
  }

  void wake_joiners() noexcept {
    if (joiners_.load(std::memory_order_seq_cst) == 0) return;
    join_seq_.fetch_add(1, std::memory_order_release);
    futex_wake(join_seq_, INT_MAX);
  }

  static std::atomic<std::uint32_t>& low_word(std::atomic<std::uint64_t>& w) noexcept {
    return *std::launder(reinterpret_cast<std::atomic<std::uint32_t>*>(&w));
  }

  // Producer side.
  alignas(64) FastMutex put_m_;
  Segment* tail_seg_;
  std::uint64_t tail_base_ = 0;    // index of tail_seg_'s first slot
  std::uint64_t cached_head_ = 0;  // bounded only: a recent head index
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  // Consumer side.
  alignas(64) FastMutex get_m_;
  Segment* head_seg_;
  std::uint64_t head_base_ = 0;  // index of head_seg_'s first slot
  std::uint64_t head_index_ = 0;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  // Rarely touched.
  alignas(64) std::atomic<Segment*> spare_{nullptr};
  std::atomic<std::uint32_t> getters_sleeping_{0}, putters_sleeping_{0};
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint32_t> join_seq_{0}, joiners_{0};
  const std::size_t maxsize_;
};

}  // namespace concur::detail
