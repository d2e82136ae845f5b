#include <cstdio>

int main() {
  std::puts("coffer 0.1.0");
  return 0;
}
