// Must NOT compile under clang -Wthread-safety -Werror: a guarded field is written without its
// lock ("writing variable 'balance_' requires holding mutex 'lock_' exclusively").
#include <concur/threading.hpp>

class Account {
 public:
  void deposit(long n) { balance_ += n; }

 private:
  concur::threading::Lock lock_;
  long balance_ CONCUR_GUARDED_BY(lock_) = 0;
};

int main() {
  Account a;
  a.deposit(1);
}
