#include "common/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/random_id.hpp"

namespace sudachi {
namespace {

constexpr std::size_t kMinSecretBytes = 32;

std::string read_secret(const std::filesystem::path& path) {
  std::ifstream in{path};
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < kMinSecretBytes) {
    throw std::runtime_error(path.string() + " holds a secret under 32 bytes");
  }
  return secret;
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::runtime_error("cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

// Writes `secret` to a private temporary file and links it to `path`. False when `path`
// appeared meanwhile (another server won): the caller reads that one instead.
bool publish_secret(const std::filesystem::path& path, const std::string& secret) {
  const std::filesystem::path tmp = path.string() + ".tmp-" + random_token(8);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) fail("create", tmp);
  const std::string line = secret + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    fail("write", tmp);
  }
  // link() does not replace an existing file: exactly one creator wins.
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked == 0) return true;
  if (link_errno == EEXIST) return false;
  errno = link_errno;
  fail("create", path);
}

}  // namespace

LoadedSecret load_or_create_secret(const std::string& configured, const std::string& data_dir,
                                   const std::string& file_name) {
  if (!configured.empty()) return {configured, LoadedSecret::Source::configured};
  const std::filesystem::path path = std::filesystem::path(data_dir) / file_name;
  if (std::filesystem::exists(path)) return {read_secret(path), LoadedSecret::Source::file};

  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string secret = random_token(48);
  if (publish_secret(path, secret)) return {secret, LoadedSecret::Source::generated};
  return {read_secret(path), LoadedSecret::Source::file};
}

}  // namespace sudachi
