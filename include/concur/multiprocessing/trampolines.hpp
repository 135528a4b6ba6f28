// concur/multiprocessing/trampolines.hpp — internal: the worker-side entry points.
//
// A trampoline is instantiated in the caller's code for one function type and argument
// types; its address travels with the task and is valid in the worker because the worker is
// a fork of this very program (directly, or through the forkserver forked from it). The user's
// function travels as its address too (a function pointer), or as nothing (a capture-less
// lambda, default-constructed in the worker). Not part of the public API.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "concur/multiprocessing/wire.hpp"

namespace concur::multiprocessing::detail {

template <class F>
constexpr void check_function() {
  static_assert(std::is_pointer_v<F> || (std::is_empty_v<F> && std::is_default_constructible_v<F>),
                "concur::multiprocessing: F must be a function pointer or a capture-less lambda "
                "(code both processes share); captures cannot travel to another process");
}

template <class F>
std::uintptr_t fn_address(F f) {
  check_function<F>();
  if constexpr (std::is_pointer_v<F>)
    return reinterpret_cast<std::uintptr_t>(f);
  else
    return 0;
}

template <class F>
F fn_from(std::uintptr_t address) {
  if constexpr (std::is_pointer_v<F>)
    return reinterpret_cast<F>(address);
  else
    return F{};
}

/// Results of calling F on one item (Star: on the elements of a tuple item).
template <class F, class Item, bool Star>
struct item_result {
  using type = std::decay_t<std::invoke_result_t<F, Item>>;
};
template <class F, class Item>
struct item_result<F, Item, true> {
  using type = std::decay_t<decltype(std::apply(std::declval<F>(), std::declval<Item>()))>;
};

/// Chunk of a map: body = uint64 n, then n items; out = uint64 n, then n results.
/// Arithmetic items and results take a fast path: cereal's binary archive writes them as their
/// raw native bytes, so a chunk of them is one contiguous array, copied without a stream.
template <class F, class Item, bool Star>
void chunk_trampoline(std::uintptr_t fn, std::string_view in, const FdList& in_fds,
                      std::string& out, FdList& out_fds) {
  F f = fn_from<F>(fn);
  using R = typename item_result<F, Item, Star>::type;
  constexpr bool raw_in = std::is_arithmetic_v<Item> && !Star;
  constexpr bool raw_out = std::is_arithmetic_v<R>;
  if constexpr (raw_in && raw_out) {
    std::uint64_t n = 0;
    std::memcpy(&n, in.data(), sizeof n);
    out.resize(sizeof n + n * sizeof(R));
    std::memcpy(out.data(), &n, sizeof n);
    const char* src = in.data() + sizeof n;
    char* dst = out.data() + sizeof n;
    for (std::uint64_t i = 0; i < n; ++i) {
      Item item;
      std::memcpy(&item, src + i * sizeof(Item), sizeof(Item));
      const R r = std::invoke(f, item);
      std::memcpy(dst + i * sizeof(R), &r, sizeof(R));
    }
  } else {
    Reader reader(in, in_fds);
    const auto n = reader.read<std::uint64_t>();
    SinkScope scope(out_fds);
    StringSink buf(out);
    std::ostream os(&buf);
    cereal::BinaryOutputArchive ar(os);
    ar(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto item = reader.read<Item>();
      if constexpr (Star)
        ar(std::apply(f, std::move(item)));
      else
        ar(std::invoke(f, std::move(item)));
    }
  }
}

/// One call: body = a tuple of the arguments; out = the result (nothing for void).
template <class F, class Tuple>
void apply_trampoline(std::uintptr_t fn, std::string_view in, const FdList& in_fds,
                      std::string& out, FdList& out_fds) {
  F f = fn_from<F>(fn);
  Reader reader(in, in_fds);
  auto args = reader.read<Tuple>();
  using R = decltype(std::apply(f, std::move(args)));
  if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(args));
  } else {
    auto result = std::apply(f, std::move(args));
    write_values(out, out_fds, result);
  }
}

/// Starts a chunk body: room for the count, patched by end_chunk().
inline void begin_chunk(std::string& body) { body.assign(sizeof(std::uint64_t), '\0'); }
inline void end_chunk(std::string& body, std::uint64_t n) {
  std::memcpy(body.data(), &n, sizeof n);  // cereal's binary archive writes it raw, too
}

}  // namespace concur::multiprocessing::detail
