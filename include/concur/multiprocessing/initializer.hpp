// concur/multiprocessing/initializer.hpp — a call run once in every new worker process
// (Python's initializer= / initargs= of Pool and ProcessPoolExecutor).
//
//   std::string prefix;                         // a global each worker sets up for its tasks
//   concur::multiprocessing::Pool pool(4, {.initializer = {+[](std::string p) { prefix = p; },
//                                                          std::string("w:")}});
//
// The function is a function pointer or a capture-less lambda; the arguments are serialized
// once, when the Initializer is made, and travel to every worker the pool starts (replacements
// included) as task arguments do — handles (SharedArray, Queue, Lock...) as fds. If it throws
// in a worker, the pool is broken: every task not started yet (and every later one) fails with
// that exception, rebuilt as a task's would be.
//
// Thread safety: copies share the serialized call (immutable); safe from any thread.
#pragma once

#include <memory>
#include <utility>

#include "concur/multiprocessing/detail/trampolines.hpp"

namespace concur::multiprocessing {

/// PoolOptions::initializer (Python's initializer= and initargs=): a call run once in every
/// new worker before its first task. If it fails, the pool is broken: tasks not yet started
/// fail with its exception (WorkerCrashed if it killed the worker). Immutable once made;
/// copies share the serialised call.
class Initializer {
 public:
  /// No initializer.
  Initializer() = default;
  /// f(args...) in every new worker. Throws whatever serializing the arguments throws.
  template <class F, class... A>
  Initializer(F f, A... args)  // NOLINT(google-explicit-constructor): as Python's keyword
      : call_(std::make_shared<detail::Message>(detail::call_message(f, std::move(args)...))) {
    call_->body.finish();
  }
  /// Whether there is a call to run.
  explicit operator bool() const { return static_cast<bool>(call_); }

  /// Internal: the serialized call (a Kind::task message; sending it does not consume it).
  const std::shared_ptr<detail::Message>& message() const { return call_; }
  /// Internal (concur::mpi's agents): an initializer from a call already serialized.
  static Initializer from_message(detail::Message call) {
    Initializer i;
    i.call_ = std::make_shared<detail::Message>(std::move(call));
    i.call_->body.finish();
    return i;
  }

 private:
  std::shared_ptr<detail::Message> call_;
};

}  // namespace concur::multiprocessing
