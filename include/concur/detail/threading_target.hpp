// concur/detail/threading_target.hpp — a move-only, type-erased "run once" callable (internal).
//
// Thread and Timer keep their target in one of these: unlike std::function it accepts
// move-only lambdas, and it is called exactly once.
//
// Thread safety: none; owned by one Thread/Timer.
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace concur::detail {

struct Target {
  virtual ~Target() = default;
  virtual void run() = 0;  // called at most once
};

template <class Fn>
struct TargetImpl final : Target {
  explicit TargetImpl(Fn fn) : fn_(std::move(fn)) {}
  void run() override { std::invoke(std::move(fn_)); }
  Fn fn_;
};

/// Binds f to args by value (as std::thread does) into a Target.
template <class F, class... A>
std::unique_ptr<Target> make_target(F f, A... args) {
  auto bound = [f = std::move(f), ... args = std::move(args)]() mutable {
    std::invoke(std::move(f), std::move(args)...);
  };
  return std::make_unique<TargetImpl<decltype(bound)>>(std::move(bound));
}

}  // namespace concur::detail
