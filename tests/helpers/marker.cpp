// Marks the directory that holds the test helper programs; does nothing.
int main() { return 0; }
