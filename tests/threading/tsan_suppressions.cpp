// ThreadSanitizer false positive in libstdc++ (not instrumented): an exception object travels
// through std::exception_ptr from a pool worker to the thread calling future::get(); its
// reference count lives in libsupc++, whose atomics TSan cannot see, so the last release on the
// worker (destroying the promise's result) looks unordered with the reader's catch block.
// Scoped to that one destructor path; see docs/design.md (threading) for users' TSan runs.
#if defined(__SANITIZE_THREAD__)
#define CONCUR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONCUR_TSAN 1
#endif
#endif

#ifdef CONCUR_TSAN
extern "C" const char* __tsan_default_suppressions() {
  return "race:std::__future_base::_Result_base::_Deleter::operator()\n";
}
#endif
