// Internal: code addresses that mean the same thing in another process running the same
// program — how functions travel to a spawned worker (and, later, to MPI ranks).
//
// A fork()ed worker shares the parent's address layout, so a function pointer is valid there
// as is. A spawned worker is a fresh exec of the program: ASLR (and PIE) loads every module at
// a different base. So the parent sends (module, offset from the module's load bias) instead,
// where module 0 is the main program and the others are shared libraries named by path; the
// worker adds its own bias of the same module (dl_iterate_phdr for the program, dlopen +
// RTLD_DI_LINKMAP for a library, loading it if the parent had dlopen()ed it).
//
// Encoding in 64 bits: 0 stays 0 (no function: a capture-less lambda); otherwise
// (module + 1) << 48 | offset.
//
// Thread safety: every function is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace concur::multiprocessing::detail {

/// Parent side: the code address `addr` as (module, offset). Registers the module in this
/// process's module table if new. Throws ProcessError if `addr` is in no loaded module.
std::uint64_t encode_code_address(std::uintptr_t addr);
/// Parent side: the number of modules in the table, and the paths of modules [from, count)
/// (entry 0, the program, is "").
std::size_t module_count();
std::vector<std::string> module_paths(std::size_t from);

/// Worker side: makes modules [first, first + paths.size()) known, loading libraries that are
/// not loaded yet. Throws ProcessError naming a library that cannot be loaded.
void load_modules(std::size_t first, const std::vector<std::string>& paths);
/// Worker side: the address in this process. Throws ProcessError for an unknown module.
std::uintptr_t decode_code_address(std::uint64_t code);

/// Without a module table (for code addresses stored in shared memory, which any process of
/// this program may read, however it started): the module's path ("" for the program) and
/// the offset from its load bias. Throws ProcessError if `addr` is in no loaded module.
struct CodeLocation {
  std::string module;
  std::uint64_t offset = 0;
};
CodeLocation locate_code(std::uintptr_t addr);
/// The address of (module, offset) in this process, loading the library if this process has
/// not. Throws ProcessError naming a library that cannot be loaded.
std::uintptr_t resolve_code(const std::string& module, std::uint64_t offset);

}  // namespace concur::multiprocessing::detail
