# concur_warnings: an interface target carrying the project's warning flags.
# Linked PRIVATE by every target of this project, never exported to consumers.
add_library(concur_warnings INTERFACE)
# clang also runs its thread-safety analysis (Lock, RLock, Condition and LockGuard are annotated:
# concur/threading/annotations.hpp).
target_compile_options(concur_warnings INTERFACE -Wall -Wextra -Wpedantic
                       $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>
                       $<$<BOOL:${CONCUR_WERROR}>:-Werror>)
# A unity build (CMAKE_UNITY_BUILD, the sanitizer and fuzz presets) includes several sources in
# one file; GCC then warns about every class that uses a type from a source's anonymous
# namespace, though each source on its own is fine.
if(CMAKE_UNITY_BUILD)
  target_compile_options(concur_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()
