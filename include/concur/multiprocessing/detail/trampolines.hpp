// concur/multiprocessing/detail/trampolines.hpp — internal: the worker-side entry points.
//
// A trampoline is instantiated in the caller's code for one function type and argument
// types; its address travels with the task (Message::trampoline) and is valid in the worker
// because the worker runs this very program image. The user's function travels as its
// address too (Message::fn), or as nothing (a capture-less lambda, default-constructed in the
// worker). Not part of the public API.
#pragma once

#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "concur/multiprocessing/detail/codec.hpp"
#include "concur/multiprocessing/detail/message.hpp"

namespace concur::multiprocessing::detail {

/// Runs one task: reads `in`'s body, calls the user's function, writes `out`'s body and
/// count. Exceptions propagate (the worker turns them into a WireError).
using Trampoline = void (*)(const Message& in, Message& out);

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

/// A chunk of a map: `count` items in, `count` results out.
template <class F, class Item, bool Star>
void chunk_trampoline(const Message& in, Message& out) {
  using R = typename item_result<F, Item, Star>::type;
  F f = fn_from<F>(in.fn);
  ItemReader<Item> items(in.body.view(), in.fds, in.count);
  if constexpr (raw_item<R>) out.body.reserve(static_cast<std::size_t>(in.count) * sizeof(R));
  ItemWriter<R> results(out.body, out.fds);
  for (std::uint64_t i = 0; i < in.count; ++i) {
    if constexpr (Star)
      results.put(std::apply(f, items.get()));
    else
      results.put(std::invoke(f, items.get()));
  }
  results.flush();
  out.count = in.count;
}

/// One call: the body is a tuple of the arguments; out: the result (count 1), or nothing for
/// void (count 0).
template <class F, class Tuple>
void apply_trampoline(const Message& in, Message& out) {
  F f = fn_from<F>(in.fn);
  Reader reader(in.body.view(), in.fds);
  auto args = reader.read<Tuple>();
  using R = decltype(std::apply(f, std::move(args)));
  if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(args));
    out.count = 0;
  } else {
    write_values(out.body, out.fds, std::apply(f, std::move(args)));
    out.count = 1;
  }
}

/// A message calling f(args...) in a worker (a Process target, an initializer, apply).
template <class F, class... A>
Message call_message(F f, A&&... args) {
  using Tuple = std::tuple<std::decay_t<A>...>;
  Message m;
  m.kind = Kind::task;
  m.trampoline = reinterpret_cast<std::uintptr_t>(&apply_trampoline<F, Tuple>);
  m.fn = fn_address(f);
  write_values(m.body, m.fds, Tuple(std::forward<A>(args)...));
  m.count = 1;
  return m;
}

/// Decodes a call's result (count 1) from a reply body.
template <class R>
R read_result(const Payload& body, const FdList& fds, std::uint64_t count) {
  if (count != 1) throw ProcessError("concur::multiprocessing: corrupt reply (no result)");
  Reader reader(body.view(), fds);
  return reader.read<R>();
}

}  // namespace concur::multiprocessing::detail
