// concur/futures/executor.hpp — the Executor concept: what ThreadPoolExecutor and
// ProcessPoolExecutor (and mpi::MPIPoolExecutor) have in common.
//
//   template <concur::futures::Executor E>
//   long total(E& pool, const std::vector<int>& xs) {
//     auto f = pool.submit(+[](int a, int b) { return a + b; }, 1, 2);          // Future<int>
//     std::vector<int> squares = pool.map(+[](int x) { return x * x; }, xs);   // ordered
//     return f.result() + std::accumulate(squares.begin(), squares.end(), 0L);
//   }
//
// E satisfies Executor when, for a function pointer f (which every executor accepts, a process
// pool included), e.submit(f, args...) returns Future<R>, e.map(f, items) returns
// std::vector<R>, and e.shutdown(wait, cancel_futures) exists. Code written against the concept
// switches from threads to processes by changing one type.
// Thread safety: a concept; no state.
#pragma once

#include <concepts>
#include <vector>

#include "concur/futures/future.hpp"

namespace concur::futures {

template <class E>
concept Executor = requires(E& e, int (*f)(int), const std::vector<int>& items) {
  { e.submit(f, 1) } -> std::same_as<Future<int>>;
  { e.map(f, items) } -> std::same_as<std::vector<int>>;
  e.shutdown(true, false);
};

}  // namespace concur::futures
