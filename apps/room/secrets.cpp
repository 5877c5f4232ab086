#include "secrets.hpp"

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

std::string load_or_create_secret(const std::string& configured, const std::string& data_dir,
                                  const std::string& file_name, bool& from_file, bool& generated) {
  from_file = false;
  generated = false;
  if (!configured.empty()) return configured;

  const std::filesystem::path path = std::filesystem::path(data_dir) / file_name;
  from_file = true;
  if (std::ifstream in{path}) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string secret = ss.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.size() < 32) throw std::runtime_error(path.string() + " holds a secret under 32 bytes");
    return secret;
  }

  std::string secret = random_token(48);
  // O_EXCL: two instances starting at once on one data dir must not each write their own.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) {
    if (errno == EEXIST) return load_or_create_secret(configured, data_dir, file_name, from_file, generated);
    throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
  generated = true;
  return secret;
}

}  // namespace sudachi::app
