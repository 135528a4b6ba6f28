// A shared library the spawn tests dlopen() at run time (it is not linked into the test):
// a function in it travels to a spawned worker as (library path, offset), and the worker
// loads the library itself.
extern "C" __attribute__((visibility("default"))) int concur_testlib_triple(int x) { return 3 * x; }
