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

/// Appends items of type T to a payload.
template <class T>
class ItemWriter {
 public:
  ItemWriter(Payload& out, FdList& fds) : out_(out) {
    if constexpr (!raw_item<T>) writer_.emplace(out, fds);
  }
  void put(const T& v) {
    if constexpr (raw_item<T>)
      out_.append(&v, sizeof v);
    else
      writer_->write(v);
  }
  /// Puts `n` items from `it` and advances it; one append for a contiguous arithmetic range.
  template <class It>
  void put_n(It& it, std::size_t n) {
    if constexpr (raw_item<T> && std::contiguous_iterator<It> &&
                  std::is_same_v<std::iter_value_t<It>, T>) {
      out_.append(std::to_address(it), n * sizeof(T));
      it += static_cast<std::iter_difference_t<It>>(n);
    } else {
      for (std::size_t i = 0; i < n; ++i, ++it) put(static_cast<const T&>(*it));
    }
  }

 private:
  Payload& out_;
  std::optional<Writer<Payload>> writer_;
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
  std::string_view body_;
  std::uint64_t count_;
  std::uint64_t pos_ = 0;
  std::optional<Reader> reader_;
};

}  // namespace concur::multiprocessing::detail
