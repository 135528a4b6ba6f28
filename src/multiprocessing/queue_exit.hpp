// Internal: Python's flush-at-exit rule for multiprocessing queues.
#pragma once

namespace concur::multiprocessing::detail {

/// Waits until every queue feeder thread of this process has flushed its buffer (except
/// queues whose cancel_join_thread() was called). Registered with atexit() by the first
/// feeder; a Process child or pool worker calls it before _exit().
void flush_queue_feeders() noexcept;

}  // namespace concur::multiprocessing::detail
