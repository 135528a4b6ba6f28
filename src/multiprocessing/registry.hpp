// Internal: process-wide state that must be consistent across fork().
//
// fork() copies only the calling thread, so a mutex held by another thread at that moment
// stays locked forever in the child. The forking thread therefore takes spawn_mutex() and
// registry_mutex() around fork(): no other thread holds them then, and the child releases
// the copies it inherits.
#pragma once

#include <sys/types.h>

#include <functional>
#include <mutex>

namespace concur::multiprocessing::detail {

/// Guards the mapping registry (shared_memory.cpp). Held briefly; never while forking
/// except by the forking thread itself.
std::mutex& registry_mutex();

/// True in a pool worker or Process child started by this library.
bool in_worker();
/// Marks this process as a worker (a spawned one: fork_child() marks forked ones).
void mark_worker();

/// Registers a parent-side fd (a worker channel, the forkserver socket) that children must
/// not keep: fork_child() closes every registered fd in the child.
void register_parent_fd(int fd);
void unregister_parent_fd(int fd);

/// Linux sends PR_SET_PDEATHSIG when the *thread* that forked the child exits, not the process:
/// armed from a short-lived thread, it would kill a child its program still uses. So a child is
/// armed only when forked from the main thread or from a thread that called
/// children_die_with_this_thread() (a pool's dispatch thread, which outlives its workers);
/// others rely on their channel's EOF (workers) or live on as Python's children do (Process).
void children_die_with_this_thread() noexcept;
/// Whether a child forked (or spawned) by the calling thread may arm PR_SET_PDEATHSIG.
bool may_arm_parent_death_signal() noexcept;

/// fork()s safely for this library: flushes stdio first, takes the locks above around the
/// fork, and in the child releases them, closes the registered parent fds, marks the process
/// as a worker, arms PR_SET_PDEATHSIG(SIGKILL) when may_arm_parent_death_signal() (and exits
/// at once if the parent already died), then runs `child` (which must not return). Returns
/// the child's pid in the parent. Throws std::system_error if fork fails.
pid_t fork_child(const std::function<void()>& child);

/// A child started by fork_child() with a connected socket (AF_UNIX stream, CLOEXEC) to it.
struct LinkedChild {
  pid_t pid;
  int parent_end;  // the caller's to close; registered with register_parent_fd()
};
/// fork_child(child_main(child_end)) over a new socketpair; tune_channel() on both ends if
/// `tune`. On failure closes both ends and throws (as fork_child, or socketpair's errno).
LinkedChild fork_linked_child(bool tune, const std::function<void(int child_end)>& child_main);

}  // namespace concur::multiprocessing::detail
