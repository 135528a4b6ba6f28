// Must compile under clang -Wthread-safety -Werror: every guarded access holds its lock.
#include <concur/threading.hpp>

class Account {
 public:
  void deposit(long n) {
    concur::threading::LockGuard g(lock_);
    balance_ += n;
  }
  bool try_withdraw(long n) {
    if (!lock_.try_lock()) return false;
    balance_ -= n;
    lock_.unlock();
    return true;
  }
  long read() CONCUR_EXCLUDES(lock_) {
    lock_.acquire();
    const long b = balance_;
    lock_.release();
    return b;
  }
  void add_locked(long n) CONCUR_REQUIRES(lock_) { balance_ += n; }
  void nested(long n) {
    concur::threading::LockGuard g(rlock_);
    history_ += n;
  }

 private:
  concur::threading::Lock lock_;
  concur::threading::RLock rlock_;
  long balance_ CONCUR_GUARDED_BY(lock_) = 0;
  long history_ CONCUR_GUARDED_BY(rlock_) = 0;
};

int main() {
  Account a;
  a.deposit(1);
  a.nested(2);
  return a.try_withdraw(1) && a.read() == 0 ? 0 : 1;
}

// A Condition is analysed as the lock it wraps: wait and notify need it held.
struct Mailbox {
  concur::threading::Condition cv;
  int items CONCUR_GUARDED_BY(cv) = 0;
  void put() {
    concur::threading::LockGuard g(cv);
    ++items;
    cv.notify();
  }
  int take() {
    concur::threading::LockGuard g(cv);
    cv.wait_for([&]() CONCUR_REQUIRES(cv) { return items > 0; });
    return --items;
  }
};
