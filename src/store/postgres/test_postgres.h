// A throwaway PostgreSQL server for the store tests, from the Debian package's
// binaries: initdb'd in a temp dir on the first call of Get(), listening on a
// free loopback port (its Unix socket in the same dir), stopped and deleted
// when the test program ends. Implemented in postgres_store_test.cc, so it
// exists only in the test binary.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/status_or.h"

namespace coffer::store::test_support {

class TestPostgres {
 public:
  // The server, started on first use; nullptr when it could not be started,
  // with the reason in StartError(). Missing binaries are an error, not a
  // skip: scripts/install-deps.sh test installs postgresql.
  static TestPostgres* Get();
  static const std::string& StartError();

  // A new empty database; returns the conninfo to open it.
  StatusOr<std::string> NewDatabase();
  // The conninfo of `database` on this server.
  std::string Conninfo(const std::string& database) const;
  // Runs `sql` as the superuser in `database`; the first column of the first
  // row as text (empty when there is none).
  StatusOr<std::string> AdminQuery(const std::string& database, const std::string& sql) const;

  Status Restart();  // pg_ctl restart -m fast: every session is dropped
  Status Stop();
  Status Start();

  int port() const { return port_; }

 private:
  friend struct TestPostgresAccess;
  TestPostgres() = default;

  std::string bin_dir_;
  std::string root_;
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

// A fixture with a fresh database on the test server for each test.
class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = TestPostgres::Get();
    ASSERT_NE(pg_, nullptr) << TestPostgres::StartError();
    StatusOr<std::string> conninfo = pg_->NewDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
    conninfo_ = *conninfo;
    database_ = conninfo_.substr(conninfo_.rfind('=') + 1);
  }

  TestPostgres* pg_ = nullptr;
  std::string conninfo_;
  std::string database_;
};

}  // namespace coffer::store::test_support
