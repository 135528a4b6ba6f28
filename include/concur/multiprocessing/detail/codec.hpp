// concur/multiprocessing/detail/codec.hpp — internal: the task codec, written once.
//
// A chunk is `count` items (or results) of one type T, back to back in a message body; the
// count travels in the message header. Arithmetic T takes the fast path: raw native bytes,
// exactly what cereal's binary archive would write, so a chunk of them is one contiguous array
// copied with one memcpy (or one write(2) into a memfd). Any other T goes through cereal.
// Encoding the items in the parent, decoding them in the worker, encoding and decoding the
// results: all four use ItemWriter / ItemReader.
//
// Not part of the public API. Thread safety: value types, one thread each.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "concur/multiprocessing/detail/payload.hpp"
#include "concur/multiprocessing/detail/wire.hpp"
#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {

/// Whether T travels as raw bytes.
template <class T>
inline constexpr bool raw_item = std::is_arithmetic_v<T>;

/// Whether T is a std::vector of raw items (not bool): cereal writes it as a 64-bit count and
/// the elements' bytes, which ItemReader copies out in one go.
template <class T>
inline constexpr bool raw_vector = false;
template <class U>
inline constexpr bool raw_vector<std::vector<U>> = raw_item<U> && !std::is_same_v<U, bool>;

/// Appends items of type T to a payload. Arithmetic T is gathered in a small buffer and
/// appended a block at a time (one call per 4 KiB, not one per item): call flush() once the
/// last item is put, before the payload is finished or sent. (A writer dropped without it —
/// say, because the task's function threw — loses only its unflushed items.)
template <class T>
class ItemWriter {
 public:
  ItemWriter(Payload& out, FdList& fds) : out_(out) {
    if constexpr (!raw_item<T>) writer_.emplace(out, fds);
  }
  ItemWriter(const ItemWriter&) = delete;
  ItemWriter& operator=(const ItemWriter&) = delete;
  void put(const T& v) {
    if constexpr (raw_item<T>) {
      if (n_ == batch) flush();
      buf_[n_++] = v;
    } else {
      writer_->write(v);
    }
  }
  /// Puts `n` items from `it` and advances it; one append for a contiguous arithmetic range.
  template <class It>
  void put_n(It& it, std::size_t n) {
    if constexpr (raw_item<T> && std::contiguous_iterator<It> &&
                  std::is_same_v<std::iter_value_t<It>, T>) {
      flush();
      out_.append(std::to_address(it), n * sizeof(T));
      it += static_cast<std::iter_difference_t<It>>(n);
    } else {
      for (std::size_t i = 0; i < n; ++i, ++it) put(static_cast<const T&>(*it));
    }
  }
  /// Puts items from `it` until `end` or `max` items, advancing it; the number put.
  template <class It, class S>
  std::size_t put_some(It& it, const S& end, std::size_t max) {
    std::size_t n = 0;
    for (; n < max && it != end; ++n, ++it) put(static_cast<const T&>(*it));
    return n;
  }
  /// Appends the buffered items to the payload. Throws what Payload::append throws.
  void flush() {
    if constexpr (raw_item<T>) {
      if (n_ == 0) return;
      const std::size_t n = n_;
      n_ = 0;
      out_.append(buf_.data(), n * sizeof(T));
    }
  }

 private:
  static constexpr std::size_t batch = raw_item<T> ? 4096 / sizeof(T) : 0;
  struct NoBuffer {};
  Payload& out_;
  std::optional<Writer<Payload>> writer_;
  std::size_t n_ = 0;
  std::conditional_t<raw_item<T>, std::array<T, batch>, NoBuffer> buf_;
};

/// Reads `count` items of type T from a body. The count and the body come from another
/// process: a raw body whose size does not match, or a count the body cannot hold, is a
/// ProcessError; corrupt cereal bytes are a cereal::Exception.
template <class T>
class ItemReader {
 public:
  ItemReader(std::string_view body, const FdList& fds, std::uint64_t count)
      : body_(body), count_(count) {
    if constexpr (raw_item<T>) {
      if (count > body.size() / sizeof(T) || count * sizeof(T) != body.size())
        throw ProcessError("concur::multiprocessing: corrupt message (" + std::to_string(count) +
                           " items in " + std::to_string(body.size()) + " bytes)");
    } else {
      if (count > body.size() && count > (1u << 16))
        throw ProcessError("concur::multiprocessing: corrupt message (" + std::to_string(count) +
                           " items in " + std::to_string(body.size()) + " bytes)");
      reader_.emplace(body, fds);
    }
  }
  std::uint64_t count() const { return count_; }
  /// The next item (at most count() times).
  T get() {
    if constexpr (raw_item<T>) {
      T v;
      std::memcpy(&v, body_.data() + pos_ * sizeof(T), sizeof(T));
      ++pos_;
      return v;
    } else if constexpr (raw_vector<T>) {
      ++pos_;
      return read_raw_vector();
    } else {
      ++pos_;
      return reader_->template read<T>();
    }
  }
  /// Appends the items not read yet to `out` (one memcpy for arithmetic T).
  void append_to(std::vector<T>& out) {
    if constexpr (raw_item<T>) {
      const std::size_t at = out.size(), n = static_cast<std::size_t>(count_ - pos_);
      if (n == 0) return;  // memcpy from/to a null pointer is undefined, even for 0 bytes
      out.resize(at + n);
      std::memcpy(out.data() + at, body_.data() + pos_ * sizeof(T), n * sizeof(T));
      pos_ = count_;
    } else {
      while (pos_ < count_) out.push_back(get());
    }
  }

 private:
  // cereal's format for a vector of numbers, read without cereal's resize (which zero-fills
  // the vector before copying into it: a second pass over fresh memory).
  T read_raw_vector() {
    using U = typename T::value_type;
    std::uint64_t n = 0;
    const char* p = reader_->buf.take(sizeof n);
    if (p == nullptr) throw cereal::Exception("concur::multiprocessing: truncated message");
    std::memcpy(&n, p, sizeof n);
    if (n > reader_->left() / sizeof(U))
      throw cereal::Exception("concur::multiprocessing: corrupt message (a size of " +
                              std::to_string(n) + " with " + std::to_string(reader_->left()) +
                              " bytes left)");
    p = reader_->buf.take(static_cast<std::size_t>(n) * sizeof(U));
    T v;
    if (n == 0) return v;
    if (reinterpret_cast<std::uintptr_t>(p) % alignof(U) == 0) {
      const U* first = reinterpret_cast<const U*>(p);
      v.assign(first, first + n);  // one copy (memmove) into fresh storage
    } else {
      v.resize(static_cast<std::size_t>(n));
      std::memcpy(v.data(), p, static_cast<std::size_t>(n) * sizeof(U));
    }
    return v;
  }

  std::string_view body_;
  std::uint64_t count_;
  std::uint64_t pos_ = 0;
  std::optional<Reader> reader_;
};

}  // namespace concur::multiprocessing::detail
