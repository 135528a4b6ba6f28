// Test support: small task functions shared by the pool tests (plain functions, so they travel
// to fork and spawn workers alike).
#pragma once

namespace concur::test {

/// 2 * x.
inline int twice(int x) { return x * 2; }

}  // namespace concur::test
