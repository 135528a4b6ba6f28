// Internal: the robust process-shared lock word under multiprocessing's Lock, RLock and
// Queue, and this process's identity.
//
// A lock word is 0 when free, else (owner pid << 1) | WAITERS. The owner is the process (not
// the thread): Python lets any thread or process release a Lock. Acquiring is one CAS when
// uncontended; a contended acquirer spins (with a growing backoff) and yields (spin.hpp),
// then sleeps on a process-shared futex. Robustness: a waiter sleeps
// in slices (kLivenessSlice); when a slice ends without a wake-up it checks whether the owner
// process still runs (pidfd_open + poll, so a dead but unreaped zombie counts as dead) and, if
// not, takes the lock over with one CAS from the dead owner's exact word. Live contention never
// pays for the check (wake-ups end slices early). Limitation: a recycled pid (the dead owner's
// pid reused by a new process within the slice) makes the lock look held until that process
// exits — pid_max is 4M on current kernels, so reuse that fast is rare.
//
// Thread safety: every function is safe from any thread of any process mapping the word.
#pragma once

#include "concur/multiprocessing/detail/robust_word.hpp"
