#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

// RAND_bytes takes an int length; larger requests are served in slices.
constexpr std::size_t kMaxRandLen = std::size_t{1} << 30;

// Small requests (salts, IVs, data keys: the per-request ones) are served
// from a per-thread buffer of DRBG output. OpenSSL 3's DRBG makes a getpid()
// system call on every generate to detect forks; one RAND_bytes per
// kPoolLen bytes instead of one per request removes that syscall from the
// Encrypt path. Served bytes are wiped from the buffer at once, the buffer
// is wiped when its thread ends, and a fork empties every buffer (the child's
// copy must never repeat the parent's bytes).
constexpr std::size_t kPoolLen = 512;
constexpr std::size_t kMaxPooledRequest = 64;

std::atomic<std::uint64_t> g_fork_generation{0};

void RegisterForkHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1, std::memory_order_relaxed); });
  });
}

struct ThreadPool {
  std::uint8_t bytes[kPoolLen];
  std::size_t available = 0;
  std::uint64_t generation = 0;
  ~ThreadPool() { OPENSSL_cleanse(bytes, sizeof(bytes)); }
};

Status FillDirect(std::span<std::uint8_t> out) {
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t n = std::min(kMaxRandLen, out.size() - done);
    if (RAND_bytes(out.data() + done, static_cast<int>(n)) != 1) {
      SecureWipe(out.data(), out.size());
      return internal::OpenSslError("RAND_bytes");
    }
    done += n;
  }
  return Status::Ok();
}

Status FillPooled(std::span<std::uint8_t> out) {
  thread_local ThreadPool pool;
  const std::uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != generation) {
    OPENSSL_cleanse(pool.bytes, sizeof(pool.bytes));
    pool.available = 0;
    pool.generation = generation;
  }
  if (pool.available < out.size()) {
    RETURN_IF_ERROR(FillDirect(pool.bytes));
    pool.available = kPoolLen;
  }
  std::uint8_t* taken = pool.bytes + (pool.available - out.size());
  std::copy(taken, taken + out.size(), out.data());
  OPENSSL_cleanse(taken, out.size());
  pool.available -= out.size();
  return Status::Ok();
}

}  // namespace

Status OsRandom::Fill(std::span<std::uint8_t> out) {
  if (out.empty()) return Status::Ok();
  if (out.size() > kMaxPooledRequest) return FillDirect(out);
  RegisterForkHandler();
  return FillPooled(out);
}

StatusOr<SecretBytes> RandomSecret(RandomSource& random, std::size_t len) {
  SecretBytes secret(len);
  RETURN_IF_ERROR(random.Fill(secret.mutable_view()));  // `secret` wipes itself on the way out
  return secret;
}

}  // namespace coffer::crypto
