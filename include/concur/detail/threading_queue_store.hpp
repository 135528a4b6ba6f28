// concur/detail/threading_queue_store.hpp — the orderings behind concur::queue (internal).
//
// Each store holds the items of one queue and is only touched under that queue's mutex
// (Queue and SimpleQueue do not use one: threading_fifo_queue.hpp):
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

/// LIFO: the last item put is the first got.
template <class T>
class StackStore {
 public:
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
