// LD_PRELOAD shim counting heap allocation calls (malloc, calloc, realloc,
// aligned allocations; operator new goes through malloc in libstdc++).
// SIGUSR2 appends "<count>\n" to the file named by ALLOC_COUNT_FILE, so a
// benchmark reads the counter before and after N requests and divides.
// Built and used by bench/alloc.sh; never linked into coffer.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);

static atomic_uint_fast64_t allocations;

void* malloc(size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t count, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_calloc(count, n);
}
void* realloc(void* p, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* memalign(size_t alignment, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) { return memalign(alignment, n); }
int posix_memalign(void** out, size_t alignment, size_t n) {
  void* p = memalign(alignment, n);
  if (p == NULL) return 12;  // ENOMEM
  *out = p;
  return 0;
}

// Async-signal-safe: one open, one write of a decimal number, one close.
static void Report(int signo) {
  (void)signo;
  const char* path = getenv("ALLOC_COUNT_FILE");
  if (path == NULL) return;
  char text[32];
  int len = 0;
  uint64_t value = atomic_load_explicit(&allocations, memory_order_relaxed);
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) text[len++] = digits[--n];
  text[len++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return;
  ssize_t ignored = write(fd, text, (size_t)len);
  (void)ignored;
  close(fd);
}

__attribute__((constructor)) static void Install(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = Report;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &action, NULL);
}
