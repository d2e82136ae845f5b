// Tests only: a SoftHSM2 token store in a fresh temporary directory. The
// constructor points SOFTHSM2_CONF at a generated configuration (the module
// reads it at C_Initialize) and InitToken runs softhsm2-util. SoftHSM2 is a
// test dependency (scripts/install-deps.sh), so a missing one fails the test.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace coffer::pkcs11::testing {

inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr const char* kUserPin = "1234";
inline constexpr const char* kSoPin = "5678";

class SoftHsm {
 public:
  SoftHsm() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("coffer-softhsm-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(tokens());
    std::ofstream(dir_ / "softhsm2.conf") << "directories.tokendir = " << tokens().string()
                                          << "\nobjectstore.backend = file\nlog.level = ERROR\n"
                                          << "slots.removable = false\n";
    ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
    pin_file_ = dir_ / "pin";
    std::ofstream(pin_file_) << kUserPin << "\n";
    ::chmod(pin_file_.c_str(), 0600);
  }
  ~SoftHsm() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  // A new token with the user PIN kUserPin. Fails the test when SoftHSM2 is
  // not installed.
  void InitToken(const std::string& label) const {
    ASSERT_TRUE(std::filesystem::exists(kSoftHsmModule)) << kSoftHsmModule << " missing: install softhsm2";
    const std::string command = "softhsm2-util --init-token --free --label '" + label + "' --so-pin " +
                                kSoPin + " --pin " + kUserPin + " > " + (dir_ / "init.log").string() +
                                " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0)
        << "softhsm2-util failed (is softhsm2 installed?): " << command;
  }

  std::filesystem::path tokens() const { return dir_ / "tokens"; }
  const std::filesystem::path& pin_file() const { return pin_file_; }
  std::filesystem::path File(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path pin_file_;
};

}  // namespace coffer::pkcs11::testing
