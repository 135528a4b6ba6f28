// concur/multiprocessing/imap.hpp — the lazy results of Pool::imap / imap_unordered.
//
//   for (int r : pool.imap(+[](int x) { return x * 2; }, items)) use(r);
//   auto it = pool.imap_unordered(f, items);
//   while (auto r = it.next()) use(*r);
//
// Iterating waits for each chunk as needed; imap yields results in input order,
// imap_unordered in the order chunks complete. A failed task throws (RemoteError,
// WorkerCrashed, ProcessError) when iteration reaches it.
//
// Thread safety: one consumer at a time.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "concur/multiprocessing/pool_core.hpp"

namespace concur::multiprocessing {

template <class R>
class IMapIterator {
 public:
  IMapIterator(std::shared_ptr<detail::TaskGroup> group, bool ordered)
      : group_(std::move(group)), ordered_(ordered) {}

  /// The next result; nullopt at the end. Throws a failed task's error.
  std::optional<R> next() {
    while (pos_ == buffer_.size()) {
      std::size_t chunk;
      if (ordered_) {
        if (next_chunk_ == group_->size()) return std::nullopt;
        chunk = next_chunk_++;
        group_->wait_one(chunk);
      } else {
        auto c = group_->next_completed();
        if (!c) return std::nullopt;
        chunk = *c;
      }
      const auto& o = group_->outcome(chunk);
      buffer_.clear();
      pos_ = 0;
      detail::Reader reader(o.body, o.fds);
      const auto n = reader.read<std::uint64_t>();
      for (std::uint64_t i = 0; i < n; ++i) buffer_.push_back(reader.read<R>());
    }
    return std::move(buffer_[pos_++]);
  }

  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(IMapIterator* owner) : owner_(owner) { advance(); }
    R& operator*() const { return **current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(std::default_sentinel_t) const { return !current_; }

   private:
    void advance() {
      current_ = std::make_shared<std::optional<R>>(owner_->next());
      if (!*current_) current_.reset();
    }
    IMapIterator* owner_ = nullptr;
    std::shared_ptr<std::optional<R>> current_;
    friend class IMapIterator;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  std::shared_ptr<detail::TaskGroup> group_;
  bool ordered_;
  std::size_t next_chunk_ = 0;
  std::vector<R> buffer_;
  std::size_t pos_ = 0;
};

}  // namespace concur::multiprocessing
