// The exec floor of a spawn start method: what starting this very binary costs before any of
// concur's code runs (the kernel's exec, the dynamic loader, glibc's start-up — on this VM each of
// the dozens of cpuid instructions glibc runs at start-up traps, ~8.5 µs each). pool_startup
// reports it beside concur's spawn pool, so the pool's own share can be read off.
#pragma once

namespace concur::bench {

/// First thing in main(): in a child started by exec_floor(), answers at once and exits.
void answer_if_exec_floor_child();

/// Seconds from starting `workers` copies of this binary at once (posix_spawn, as
/// StartMethod::spawn) until the first of them runs main(); all are reaped before it returns
/// (not timed).
double exec_floor(int workers);

}  // namespace concur::bench
