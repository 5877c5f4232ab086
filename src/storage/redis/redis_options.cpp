#include "storage/redis/redis_options.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

namespace sudachi::storage::redis {
namespace {

Error bad(std::string why) {
  return Error::make(ErrorCode::invalid_request, "Invalid REDIS_URL: " + std::move(why));
}

}  // namespace

Result<RedisOptions> parse_redis_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad("not a URL");  // no echo: the text may hold a password
  const boost::urls::url_view& u = *parsed;
  if (u.scheme() != "redis") return bad("the scheme must be redis:// (TLS is not supported)");

  RedisOptions options;
  options.host = u.host_address();
  if (options.host.empty()) return bad("no host");
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return bad("bad port");
    options.port = u.port_number();
  }
  if (u.has_userinfo()) {
    options.username = u.user();
    if (u.has_password()) options.password = u.password();
    // redis://secret@host: the lone userinfo part is a password, as redis-cli reads it.
    if (!u.has_password()) std::swap(options.username, options.password);
  }
  const std::string path = u.path();
  if (!path.empty() && path != "/") {
    std::string_view db(path);
    db.remove_prefix(1);
    int value = -1;
    auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), value);
    if (ec != std::errc() || end != db.data() + db.size() || value < 0) {
      return bad("the path must be a database number");
    }
    options.database = value;
  }
  if (u.has_query() || u.has_fragment()) return bad("query and fragment are not supported");
  return options;
}

}  // namespace sudachi::storage::redis
