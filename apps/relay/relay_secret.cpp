#include "relay_secret.hpp"

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

namespace sudachi::app {

std::string load_or_create_relay_secret(const std::string& configured, const std::string& data_dir, bool& generated) {
  generated = false;
  if (!configured.empty()) return configured;
  const std::filesystem::path path = std::filesystem::path(data_dir) / "relay-secret";
  // Two attempts: a concurrent creator may win the O_EXCL race between our read and create.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (std::ifstream in{path}) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string secret = ss.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (secret.empty() && attempt == 0) {
        // Another server created it a moment ago and is still writing.
        ::usleep(200'000);
        continue;
      }
      if (secret.size() < 32) throw std::runtime_error(path.string() + " holds a secret under 32 bytes");
      return secret;
    }
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    const std::string secret = random_token(48);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
    }
    const std::string line = secret + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + path.string());
    generated = true;
    return secret;
  }
  throw std::runtime_error("cannot read " + path.string());
}

}  // namespace sudachi::app
