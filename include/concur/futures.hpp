// concur/futures.hpp — Python's concurrent.futures: Future, wait, as_completed, and the
// thread and process executors.
//
//   concur::futures::ThreadPoolExecutor pool(4);
//   std::vector<concur::futures::Future<int>> fs;
//   for (int i = 0; i < 10; ++i) fs.push_back(pool.submit([](int x) { return x * x; }, i));
//   for (const auto& f : concur::futures::as_completed(fs)) std::cout << f.result() << '\n';
//
// The parts, each a header of its own:
// - <concur/futures/future.hpp>       Future<T>: states, result/exception with timeouts,
//                                     cancel, done-callbacks, std::future's spellings
// - <concur/futures/wait.hpp>         wait(fs, timeout, return_when), as_completed(fs, timeout)
// - <concur/futures/thread_pool.hpp>  ThreadPoolExecutor, ThreadPoolOptions
// - <concur/futures/process_pool.hpp> ProcessPoolExecutor, ProcessPoolOptions
// - <concur/futures/executor.hpp>     the Executor concept both satisfy
// - <concur/futures/errors.hpp>       CancelledError, InvalidStateError, TimeoutError,
//                                     BrokenExecutor, BrokenThreadPool, BrokenProcessPool
// Thread safety: see each part.
#pragma once

#include "concur/futures/errors.hpp"
#include "concur/futures/executor.hpp"
#include "concur/futures/future.hpp"
#include "concur/futures/thread_pool.hpp"
#include "concur/futures/wait.hpp"
