// The waiter behind futures::wait() and as_completed(): see
// include/concur/detail/futures/waiter.hpp.
#include <climits>

#include "concur/detail/core/futex.hpp"
#include "concur/detail/futures/waiter.hpp"

namespace concur::futures::detail {

Waiter* Waiter::make(std::size_t n) {
  auto* w = new Waiter(n);
  for (std::size_t i = 0; i < n; ++i) {
    w->links_[i].owner = w;
    w->links_[i].index = i;
  }
  return w;
}

bool Waiter::watch(std::size_t index, StateBase& s) noexcept {
  Link& l = links_[index];
  refs_.fetch_add(1, std::memory_order_relaxed);
  l.state = &s;
  if (s.add_listener(&l)) return true;
  l.state = nullptr;
  refs_.fetch_sub(1, std::memory_order_relaxed);  // we still hold ours: never the last
  return false;
}

void Waiter::Link::notify(StateBase&) noexcept { owner->on_done(this); }

void Waiter::Link::discard() noexcept { owner->release(); }

void Waiter::on_done(Link* link) noexcept {
  Link* head = done_.load(std::memory_order_relaxed);
  do {
    link->done_next = head;
  } while (!done_.compare_exchange_weak(head, link, std::memory_order_release,
                                        std::memory_order_relaxed));
  if (seq_.fetch_add(2, std::memory_order_acq_rel) & 1u) concur::detail::futex_wake(seq_, 1);
  release();
}

void Waiter::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

std::optional<std::size_t> Waiter::next(const Deadline& deadline) noexcept {
  for (;;) {
    if (batch_) {
      Link* l = batch_;
      batch_ = l->done_next;
      return l->index;
    }
    if (Link* l = done_.exchange(nullptr, std::memory_order_acquire)) {
      while (l) {  // newest first -> oldest first
        Link* next = l->done_next;
        l->done_next = batch_;
        batch_ = l;
        l = next;
      }
      continue;
    }
    std::uint32_t s = seq_.load(std::memory_order_acquire);
    if (done_.load(std::memory_order_acquire)) continue;
    if (!(s & 1u)) {
      if (!seq_.compare_exchange_weak(s, s | 1u, std::memory_order_acq_rel,
                                      std::memory_order_relaxed))
        continue;
      s |= 1u;
    }
    const bool in_time = concur::detail::futex_wait_until(seq_, s, deadline);
    seq_.fetch_and(~1u, std::memory_order_acq_rel);
    if (!in_time && !done_.load(std::memory_order_acquire)) return std::nullopt;
  }
}

void Waiter::close() noexcept {
  for (std::size_t i = 0; i < n_; ++i) {
    Link& l = links_[i];
    // A Link the completer already took (remove fails) is released by its notify().
    if (l.state && l.state->remove_listener(&l)) release();
  }
  release();
}

}  // namespace concur::futures::detail
