// concur/detail/threading_queue_store.hpp — the orderings behind concur::queue (internal).
//
// Each store holds the items of one queue and is only touched under that queue's mutex:
//   RingStore<T>        FIFO ring buffer (Queue, SimpleQueue): no allocation per item once warm
//   StackStore<T>       LIFO (LifoQueue)
//   HeapStore<T, Cmp>   smallest first under Cmp (PriorityQueue), as Python's heapq
// Interface: push(T&&), pop() -> T, size(), empty(), swap(other).
//
// Thread safety: none (the owning queue's mutex guards it).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace concur::detail {

/// FIFO ring buffer with power-of-two capacity; grows by doubling, never shrinks.
template <class T>
class RingStore {
 public:
  static constexpr bool kFifo = true;
  RingStore() = default;
  RingStore(const RingStore&) = delete;
  RingStore& operator=(const RingStore&) = delete;
  ~RingStore() {
    clear();
    if (buf_) std::allocator<T>{}.deallocate(buf_, cap_);
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  void push(T&& item) {
    if (size_ == cap_) grow();
    ::new (static_cast<void*>(buf_ + ((head_ + size_) & (cap_ - 1)))) T(std::move(item));
    ++size_;
  }
  T pop() {
    T* slot = buf_ + head_;
    T item(std::move(*slot));
    slot->~T();
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return item;
  }
  void swap(RingStore& other) noexcept {
    std::swap(buf_, other.buf_);
    std::swap(cap_, other.cap_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

 private:
  void clear() noexcept {
    while (size_ > 0) {
      buf_[head_].~T();
      head_ = (head_ + 1) & (cap_ - 1);
      --size_;
    }
  }
  void grow() {
    const std::size_t cap = cap_ ? cap_ * 2 : 64;
    T* buf = std::allocator<T>{}.allocate(cap);
    for (std::size_t i = 0; i < size_; ++i) {
      T* from = buf_ + ((head_ + i) & (cap_ - 1));
      ::new (static_cast<void*>(buf + i)) T(std::move_if_noexcept(*from));
    }
    for (std::size_t i = 0; i < size_; ++i) buf_[(head_ + i) & (cap_ - 1)].~T();
    if (buf_) std::allocator<T>{}.deallocate(buf_, cap_);
    buf_ = buf;
    cap_ = cap;
    head_ = 0;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0, head_ = 0, size_ = 0;
};

/// LIFO: the last item put is the first got.
template <class T>
class StackStore {
 public:
  static constexpr bool kFifo = false;
  std::size_t size() const noexcept { return v_.size(); }
  bool empty() const noexcept { return v_.empty(); }
  void push(T&& item) { v_.push_back(std::move(item)); }
  T pop() {
    T item(std::move(v_.back()));
    v_.pop_back();
    return item;
  }
  void swap(StackStore& other) noexcept { v_.swap(other.v_); }

 private:
  std::vector<T> v_;
};

/// A binary heap that pops the smallest item under Compare first (Python's heapq order).
template <class T, class Compare>
class HeapStore {
 public:
  static constexpr bool kFifo = false;
  std::size_t size() const noexcept { return v_.size(); }
  bool empty() const noexcept { return v_.empty(); }
  void push(T&& item) {
    v_.push_back(std::move(item));
    std::push_heap(v_.begin(), v_.end(), greater());
  }
  T pop() {
    std::pop_heap(v_.begin(), v_.end(), greater());
    T item(std::move(v_.back()));
    v_.pop_back();
    return item;
  }
  void swap(HeapStore& other) noexcept {
    v_.swap(other.v_);
    std::swap(cmp_, other.cmp_);
  }

 private:
  // std heaps put the largest under their comparator on top; inverting makes it the smallest.
  auto greater() const {
    return [this](const T& a, const T& b) { return cmp_(b, a); };
  }
  std::vector<T> v_;
  Compare cmp_{};
};

}  // namespace concur::detail
