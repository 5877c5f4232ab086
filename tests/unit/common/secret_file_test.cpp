#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/secret_file.hpp"

namespace sudachi {
namespace {

class SecretFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "sudachi-secret-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SecretFile, ConfiguredSecretWinsAndNothingIsWritten) {
  const LoadedSecret s = load_or_create_secret("from-the-environment", dir_.string(), "jwt-secret");
  EXPECT_EQ(s.secret, "from-the-environment");
  EXPECT_EQ(s.source, LoadedSecret::Source::configured);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "jwt-secret"));
}

TEST_F(SecretFile, GeneratedOncePrivatelyThenReused) {
  const LoadedSecret first = load_or_create_secret("", dir_.string(), "jwt-secret");
  EXPECT_EQ(first.source, LoadedSecret::Source::generated);
  EXPECT_GE(first.secret.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "jwt-secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const LoadedSecret again = load_or_create_secret("", dir_.string(), "jwt-secret");
  EXPECT_EQ(again.source, LoadedSecret::Source::file);
  EXPECT_EQ(again.secret, first.secret);
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(SecretFile, CreatesTheDataDirectory) {
  const auto nested = dir_ / "a" / "b";
  EXPECT_EQ(load_or_create_secret("", nested.string(), "relay-secret").source,
            LoadedSecret::Source::generated);
  EXPECT_TRUE(std::filesystem::exists(nested / "relay-secret"));
}

TEST_F(SecretFile, ShortSecretInTheFileIsRefused) {
  std::ofstream(dir_ / "jwt-secret") << "too-short\n";
  EXPECT_THROW(load_or_create_secret("", dir_.string(), "jwt-secret"), std::runtime_error);
}

TEST_F(SecretFile, ServersStartingAtOnceAgreeOnOneSecret) {
  constexpr int kServers = 16;
  std::vector<std::string> seen(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back(
        [&, i] { seen[i] = load_or_create_secret("", dir_.string(), "relay-secret").secret; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

}  // namespace
}  // namespace sudachi
