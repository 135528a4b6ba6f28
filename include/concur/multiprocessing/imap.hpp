// concur/multiprocessing/imap.hpp — the lazy results of Pool::imap / imap_unordered.
//
//   for (int r : pool.imap(+[](int x) { return x * 2; }, std::views::iota(0))) {
//     if (r > 100) break;                 // the endless range is abandoned: nothing more is sent
//   }
//   auto it = pool.imap_unordered(f, items, 10);
//   int first = it.next(1s);               // concur::TimeoutError if none within 1 s
//
// Items are read from the range and serialized on the pool's dispatch thread as workers need
// them, at most a window of chunks (4 per worker) ahead of the consumer — so an endless or huge
// range works in constant memory, and dropping the iterator early costs nothing more. After
// Pool::close() the window no longer applies (the remaining items are all handed out, so that
// close(); join(); then iterating works as in Python). A range passed as an lvalue is read in
// place: keep it alive and unchanged while the iterator lives; an rvalue range is moved in.
// imap yields results in input order, imap_unordered in the order chunks complete. A failed
// task throws (its own exception type, WorkerCrashed, ProcessError) when iteration reaches it;
// so does an exception thrown while reading or serializing the items.
//
// Thread safety: one consumer at a time.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/multiprocessing/detail/codec.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"
#include "concur/multiprocessing/detail/trampolines.hpp"

namespace concur::multiprocessing {

/// next() at the end of an imap (Python's StopIteration).
struct StopIteration : std::out_of_range {
  StopIteration() : std::out_of_range("concur::multiprocessing: imap exhausted") {}
};

namespace detail {

/// How imap keeps its range: a pointer to an lvalue, the moved-in value of an rvalue. (Not
/// std::views::all: clang 14 cannot compile libstdc++ 12's views.)
template <class Range>
class HeldRange {
 public:
  using Stored = std::conditional_t<std::is_lvalue_reference_v<Range>,
                                    std::remove_reference_t<Range>*, std::remove_cvref_t<Range>>;
  explicit HeldRange(Range&& r) : stored_(store(std::forward<Range>(r))) {}
  auto& get() {
    if constexpr (std::is_lvalue_reference_v<Range>)
      return *stored_;
    else
      return stored_;
  }

 private:
  static Stored store(Range&& r) {
    if constexpr (std::is_lvalue_reference_v<Range>)
      return &r;
    else
      return std::move(r);
  }
  Stored stored_;
};

template <class Range>
using held_iterator_t = decltype(std::begin(std::declval<HeldRange<Range>&>().get()));
template <class Range>
using held_item_t = std::remove_cvref_t<decltype(*std::declval<held_iterator_t<Range>&>())>;

/// imap's producer: reads `chunksize` items of the range per task, when the stream has room.
template <class F, class Item, bool Star, class Range>
class RangeSource : public TaskSource {
 public:
  RangeSource(F f, Range&& range, std::size_t chunksize, std::shared_ptr<TaskStream> stream)
      : range_(std::forward<Range>(range)),
        it_(std::begin(range_.get())),
        chunksize_(chunksize),
        fn_(fn_address(f)),
        stream_(std::move(stream)) {}

  std::optional<Task> next(bool closing, bool& done) noexcept override {
    std::lock_guard lock(mutex_);
    if (finished_ || stream_->abandoned()) {
      finished_ = done = true;
      return std::nullopt;
    }
    if (!stream_->may_produce(closing)) return std::nullopt;
    const std::size_t index = stream_->produced();
    Task t;
    t.sink = stream_;
    t.index = index;
    t.message.kind = Kind::task;
    t.message.trampoline = reinterpret_cast<std::uintptr_t>(&chunk_trampoline<F, Item, Star>);
    t.message.fn = fn_;
    t.message.body.set_recyclable();  // the worker drops it before it replies
    try {
      std::size_t n = 0;
      {
        if constexpr (raw_item<Item>) t.message.body.reserve(chunksize_ * sizeof(Item));
        ItemWriter<Item> w(t.message.body, t.message.fds);
        n = w.put_some(it_, std::end(range_.get()), chunksize_);
        w.flush();
      }
      if (n == 0) {
        stream_->set_total(index);
        finished_ = done = true;
        return std::nullopt;
      }
      t.message.count = n;
      t.message.body.finish();
      stream_->produced_one();
      if (it_ == std::end(range_.get())) {
        stream_->set_total(index + 1);
        finished_ = done = true;
      }
      return t;
    } catch (...) {  // reading or serializing an item threw: iteration ends with it
      Outcome o;
      o.state = Outcome::State::local;
      o.local = std::current_exception();
      stream_->produced_one();
      stream_->complete(index, std::move(o));
      stream_->set_total(index + 1);
      finished_ = done = true;
      return std::nullopt;
    }
  }
  void break_off(const std::string& why) noexcept override {
    try {
      stream_->break_off(why);
    } catch (...) {
    }
  }
  /// The consumer is gone; waits for a next() in progress, so the range may go too.
  void abandon() {
    std::lock_guard lock(mutex_);
    finished_ = true;
    stream_->abandon();
  }

 private:
  std::mutex mutex_;
  HeldRange<Range> range_;
  held_iterator_t<Range> it_;
  std::size_t chunksize_;
  std::uintptr_t fn_;
  std::shared_ptr<TaskStream> stream_;
  bool finished_ = false;
};

}  // namespace detail

/// What Pool::imap() and Pool::imap_unordered() return (Python's IMapIterator): results as
/// they arrive, in input order (imap) or completion order (imap_unordered). Items are sent
/// to the workers lazily; destroying the iterator abandons the rest. Move-only; one thread
/// at a time.
/// @code
/// for (int r : pool.imap(+[](int x) { return x * x; }, std::vector{1, 2, 3})) use(r);
/// @endcode
template <class R>
class IMapIterator {
 public:
  /// Made by Pool: reads results from `stream`; `abandon` stops the feeding when destroyed.
  IMapIterator(std::shared_ptr<detail::TaskStream> stream, std::function<void()> abandon,
               bool ordered)
      : stream_(std::move(stream)), abandon_(std::move(abandon)), ordered_(ordered) {}
  /// Takes over the iteration; the source is left empty.
  IMapIterator(IMapIterator&& o) noexcept
      : stream_(std::move(o.stream_)),
        abandon_(std::exchange(o.abandon_, nullptr)),
        ordered_(o.ordered_),
        buffer_(std::move(o.buffer_)),
        pos_(std::exchange(o.pos_, 0)),
        current_(std::move(o.current_)) {}
  IMapIterator& operator=(IMapIterator&&) = delete;
  IMapIterator(const IMapIterator&) = delete;
  IMapIterator& operator=(const IMapIterator&) = delete;
  /// Abandons the rest: no more items are read or sent.
  ~IMapIterator() {
    if (abandon_) abandon_();
  }

  /// The next result, waiting at most `timeout`. Throws StopIteration at the end,
  /// concur::TimeoutError (iteration may go on later), a failed task's error.
  R next(std::optional<Duration> timeout = {}) {
    auto r = try_next(timeout);
    if (!r) throw StopIteration();
    return std::move(*r);
  }
  /// As next(), but nullopt at the end.
  std::optional<R> try_next(std::optional<Duration> timeout = {}) {
    if (pos_ < buffer_.size()) [[likely]]
      return std::move(buffer_[pos_++]);
    return refill(timeout) ? std::optional<R>(std::move(buffer_[pos_++])) : std::nullopt;
  }

  /// An input iterator over the remaining results (each yielded once); compare with end().
  /// The result it points to lives in the IMapIterator until the next ++ (on any copy).
  /// Dereferencing past the end is undefined. Throws as next() does.
  class iterator {
   public:
    /// A task's result.
    using value_type = R;
    /// Required of an iterator; unused.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// Starts at the next result of `owner` (waits for it).
    explicit iterator(IMapIterator* owner) : owner_(owner) { advance(); }
    /// The current result.
    R& operator*() const { return *owner_->current_; }
    /// Waits for the next result.
    iterator& operator++() {
      advance();
      return *this;
    }
    /// ++it.
    void operator++(int) { advance(); }
    /// True past the last result.
    bool operator==(std::default_sentinel_t) const {
      return owner_ == nullptr || !owner_->current_;
    }

   private:
    void advance() { owner_->current_ = owner_->try_next(); }
    IMapIterator* owner_ = nullptr;
  };
  /// An iterator at the next result (waits for it, without a timeout).
  iterator begin() { return iterator(this); }
  /// The end of the results.
  std::default_sentinel_t end() { return {}; }

 private:
  // Waits for the next chunk with results and decodes it into buffer_; false at the end.
  bool refill(std::optional<Duration> timeout) {
    while (pos_ == buffer_.size()) {
      auto o = stream_->take(ordered_, timeout);
      if (!o) return false;
      o->throw_if_failed();
      buffer_.clear();
      pos_ = 0;
      detail::ItemReader<R>(o->body.view(), o->fds, o->count).append_to(buffer_);
    }
    return true;
  }

  std::shared_ptr<detail::TaskStream> stream_;
  std::function<void()> abandon_;
  bool ordered_;
  std::vector<R> buffer_;
  std::size_t pos_ = 0;
  std::optional<R> current_;  // what begin()'s iterator points to
};

}  // namespace concur::multiprocessing
