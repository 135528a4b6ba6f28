// concur/detail/futures/pool_task.hpp — a ThreadPoolExecutor task and its future's shared
// state in one allocation.
//
// Internal; not part of the API. PoolTaskState is at once the queued PoolTask and the
// FutureState the returned Future points to: submit() costs one allocation of (for an empty
// task returning void) 64 bytes, from the submitting thread's task arena (task_arena.hpp). Two
// references at birth: the queue's (dropped once the task ran, was cancelled or abandoned) and the
// Future's. The callable is destroyed as soon as it has run (or will never run), before the result
// is published, so whatever it captured is released by the time a waiter sees the result.
//
// Thread safety: run()/cancel()/abandon() are called once, by the pool; the rest is the
// FutureState's.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "concur/detail/futures/state.hpp"
#include "concur/detail/futures/task_arena.hpp"
#include "concur/detail/threading_pool.hpp"

namespace concur::futures::detail {

template <class R, class Fn>
class PoolTaskState final : public FutureState<R>, public concur::detail::PoolTask {
 public:
  /// A new task (two references: the queue's and the Future's) in the arena.
  static PoolTaskState* make(Fn&& fn, const concur::detail::PoolCore* pool) {
    void* mem = task_alloc<PoolTaskState>();
    try {
      return ::new (mem) PoolTaskState(std::move(fn), pool);
    } catch (...) {
      task_free<PoolTaskState>(mem);
      throw;
    }
  }

 private:
  PoolTaskState(Fn&& fn, const concur::detail::PoolCore* pool)
      : FutureState<R>(2, true), pool_(pool) {
    ::new (static_cast<void*>(std::addressof(fn_))) Fn(std::move(fn));
  }

 public:
  void run() noexcept override {
    if (this->try_start()) {
      bool failed = false;
      try {
        if constexpr (std::is_void_v<R>) {
          std::invoke(std::move(fn_));
          this->store_value();
        } else if constexpr (std::is_reference_v<R>) {
          this->store_value(std::addressof(std::invoke(std::move(fn_))));
        } else {
          this->store_value(std::invoke(std::move(fn_)));
        }
      } catch (...) {
        this->store_error(std::current_exception());
        failed = true;
      }
      fn_.~Fn();
      this->publish(phase::running, failed);
    } else {
      fn_.~Fn();  // cancelled while queued
    }
    this->release();
  }
  void cancel() noexcept override {
    this->StateBase::cancel();  // fails only if a user completed it meanwhile: then it is done
    fn_.~Fn();
    this->release();
  }
  void abandon(std::exception_ptr why) noexcept override {
    if (this->try_start()) {
      this->store_error(std::move(why));
      fn_.~Fn();
      this->publish(phase::running, true);
    } else {
      fn_.~Fn();
    }
    this->release();
  }
  /// The task was never queued (push() refused it): drops the queue's reference.
  void drop() noexcept {
    fn_.~Fn();
    this->release();
  }

 private:
  ~PoolTaskState() override {}  // fn_ was destroyed when the task ran or was dropped
  void destroy() noexcept override {
    this->~PoolTaskState();
    task_free<PoolTaskState>(this);
  }
  bool help() const noexcept override { return concur::detail::PoolCore::help(pool_); }

  const concur::detail::PoolCore* pool_;
  union {
    Fn fn_;
  };
};

}  // namespace concur::futures::detail
