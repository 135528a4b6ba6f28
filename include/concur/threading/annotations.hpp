// concur/threading/annotations.hpp — clang's thread-safety analysis for code that uses concur's
// locks (part of <concur/threading.hpp>).
//
// Lock and RLock are declared as clang "capabilities": annotate which fields a lock guards, and
// clang (-Wthread-safety) rejects, at compile time, code that touches them without holding it.
// Hold the lock with LockGuard (std::scoped_lock and std::unique_lock are not annotated in
// libstdc++, so the analysis cannot see them take the lock). With GCC the macros expand to nothing.
//
//   class Account {
//    public:
//     void deposit(long n) { concur::threading::LockGuard g(lock_); balance_ += n; }
//     long balance_unlocked() { return balance_; }   // clang: "reading variable 'balance_'
//                                                    // requires holding mutex 'lock_'"
//    private:
//     concur::threading::Lock lock_;
//     long balance_ CONCUR_GUARDED_BY(lock_) = 0;
//   };
//
// The macros are those of clang's documentation
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html) with a CONCUR_ prefix. Thread safety:
// declarations only.
#pragma once

#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(capability)
/// `__attribute__((x))` under clang; nothing elsewhere.
#define CONCUR_THREAD_ANNOTATION(x) __attribute__((x))
#endif
#endif
#ifndef CONCUR_THREAD_ANNOTATION
/// Nothing: GCC has no thread-safety analysis.
#define CONCUR_THREAD_ANNOTATION(x)
#endif

/// The class is a lock (a "capability" named `name` in clang's messages).
#define CONCUR_CAPABILITY(name) CONCUR_THREAD_ANNOTATION(capability(name))
/// The class holds a capability for its lifetime (an RAII guard).
#define CONCUR_SCOPED_CAPABILITY CONCUR_THREAD_ANNOTATION(scoped_lockable)
/// The field may be read or written only with `lock` held.
#define CONCUR_GUARDED_BY(lock) CONCUR_THREAD_ANNOTATION(guarded_by(lock))
/// What the pointer points to may be used only with `lock` held.
#define CONCUR_PT_GUARDED_BY(lock) CONCUR_THREAD_ANNOTATION(pt_guarded_by(lock))
/// The function must be called with these locks held.
#define CONCUR_REQUIRES(...) CONCUR_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
/// The function must be called without these locks held (it takes them itself).
#define CONCUR_EXCLUDES(...) CONCUR_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
/// The function takes these locks (none: the object itself) and returns holding them.
#define CONCUR_ACQUIRE(...) CONCUR_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
/// The function releases these locks (none: the object itself).
#define CONCUR_RELEASE(...) CONCUR_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
/// The function takes the lock when it returns `result` (true for try_lock).
#define CONCUR_TRY_ACQUIRE(...) CONCUR_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
/// The function returns a reference to this lock (an accessor).
#define CONCUR_RETURN_CAPABILITY(lock) CONCUR_THREAD_ANNOTATION(lock_returned(lock))
/// The function is not analysed (it does something the analysis cannot follow).
#define CONCUR_NO_THREAD_SAFETY_ANALYSIS CONCUR_THREAD_ANNOTATION(no_thread_safety_analysis)
