// concur/detail/core/random.hpp — unpredictable bits from the kernel, for names and nonces.
//
// Internal; not part of the API. getrandom(2), not std::random_device: libstdc++'s
// random_device probes the CPU with cpuid when constructed, and on a virtual machine each cpuid
// traps to the hypervisor (measured here: ~30 us per random_device, paid on every spawn and every
// SharedMemory name).
//
//   std::uint64_t nonce = concur::detail::random_u64();
//
// Thread safety: thread-safe.
#pragma once

#include <cstdint>

namespace concur::detail {

/// 64 random bits from getrandom(2) (the kernel's CSPRNG; blocks only before the kernel's pool is
/// first seeded at boot). Throws std::system_error if getrandom fails other than with EINTR.
std::uint64_t random_u64();

}  // namespace concur::detail
