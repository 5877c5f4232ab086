#include "session.hpp"

#include <csignal>
#include <utility>

namespace sudachi::mp_cli {

std::atomic<bool> g_stop_requested{false};

namespace {
extern "C" void on_signal(int) {
  g_stop_requested.store(true);
}
}  // namespace

void install_signal_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

int exit_code_for(const mp::Error& error) {
  switch (error.code) {
    case mp::ErrorCode::none:
      return kOk;
    case mp::ErrorCode::unreachable:
    case mp::ErrorCode::unavailable:
    case mp::ErrorCode::disconnected:
      return kUnreachable;
    case mp::ErrorCode::rate_limited:
      return kRateLimited;
    case mp::ErrorCode::auth_failed:
      return kAuthFailed;
    case mp::ErrorCode::room_not_found:
    case mp::ErrorCode::room_full:
    case mp::ErrorCode::wrong_password:
    case mp::ErrorCode::banned:
    case mp::ErrorCode::not_host:
    case mp::ErrorCode::not_in_room:
    case mp::ErrorCode::already_in_room:
    case mp::ErrorCode::invalid_request:
    case mp::ErrorCode::no_relay_available:
      return kRefused;
    case mp::ErrorCode::invalid_argument:
      return kUsage;
    default:
      return kFailed;
  }
}

namespace {

void report_state(const mp::Event& event, const Output& out, mp::ConnectionState last_state) {
  switch (event.state) {
    case mp::ConnectionState::connecting:
      if (event.error) {
        out.status("  " + event.error.message + "; retrying");
      } else {
        out.status("connecting to " + event.server + " ...");
      }
      break;
    case mp::ConnectionState::connected:
      out.status("connected to " + event.server + " as " + event.client_id);
      break;
    case mp::ConnectionState::reconnecting:
      // The first report after a loss says what was lost; the attempts after it, why they
      // failed.
      if (last_state == mp::ConnectionState::connected) {
        out.status("connection lost (" + event.error.message + "); reconnecting");
      } else {
        out.status("  " + event.error.message + "; retrying");
      }
      break;
    case mp::ConnectionState::offline:
      break;
  }
}

}  // namespace

void report_connection(const mp::Event& event, const Output& out) {
  // Only the main thread reports (events are polled there).
  static mp::ConnectionState last_state = mp::ConnectionState::connecting;
  const mp::ConnectionState previous = std::exchange(last_state, event.state);
  report_state(event, out, previous);
}

std::optional<mp::Error> report_common(const mp::Event& e, const Output& out) {
  switch (e.type) {
    case mp::EventType::connection:
      report_connection(e, out);
      break;
    case mp::EventType::member_joined:
      if (e.member) out.status(e.member->username + " (" + e.member->client_id + ") joined");
      break;
    case mp::EventType::member_left:
      out.status(e.client_id + " left (" + e.reason + ")");
      break;
    case mp::EventType::room_joined:
      if (e.resumed) out.status("back in room " + e.room_id + " after a reconnect");
      break;
    case mp::EventType::room_left:
      return e.error ? e.error : mp::Error{mp::ErrorCode::room_lost, "room " + e.reason, 0};
    default:
      break;
  }
  return std::nullopt;
}

std::unique_ptr<mp::Client> connect(const CommonOptions& options, const Output& out, Inbox& inbox,
                                    int& exit_code) {
  mp::ClientConfig config;
  config.servers = {options.server};
  config.username = options.username;
  config.platform = "sudachi-mp";
  config.sudachi_version = SUDACHI_VERSION;
  config.ca_file = options.ca_file;
  config.disable_direct = options.relay_only;
  config.udp_port = options.udp_port;
  config.connect_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(options.connect_timeout_s * 1000));
  // A command line tool reports an unreachable server instead of retrying for ever: two passes
  // over the list, a short cap on the backoff.
  config.give_up_after_passes = 2;
  config.reconnect_max = std::chrono::milliseconds(2'000);
  if (options.verbose) {
    config.log = [&out](mp::LogLevel, std::string_view message) { out.log(message); };
  }
  auto client = std::make_unique<mp::Client>(std::move(config));
  if (const mp::Error error = client->start()) {
    out.error(error);
    exit_code = exit_code_for(error);
    return nullptr;
  }
  mp::Error failure;
  bool connected = false;
  auto previous = inbox.on_event_fn;
  inbox.on_event_fn = [&](const mp::Event& event) {
    if (event.type != mp::EventType::connection) return;
    report_connection(event, out);
    if (event.state == mp::ConnectionState::connected) connected = true;
    if (event.state == mp::ConnectionState::offline && event.error) failure = event.error;
  };
  while (!connected && !failure && !g_stop_requested.load()) {
    client->wait(std::chrono::milliseconds(100));
    client->poll(inbox);
  }
  inbox.on_event_fn = previous;
  if (connected) return client;
  if (!failure) failure = {mp::ErrorCode::unreachable, "interrupted while connecting", 0};
  out.error(failure);
  exit_code = exit_code_for(failure);
  return nullptr;
}

mp::Event await_call(mp::Client& client, Inbox& inbox, mp::RequestId id) {
  std::optional<mp::Event> done;
  auto previous = inbox.on_event_fn;
  inbox.on_event_fn = [&](const mp::Event& event) {
    if (event.type == mp::EventType::call_done && event.request_id == id) done = event;
    if (previous) previous(event);
  };
  while (!done && !g_stop_requested.load()) {
    client.wait(std::chrono::milliseconds(100));
    client.poll(inbox);
  }
  inbox.on_event_fn = previous;
  if (done) return *done;
  mp::Event interrupted;
  interrupted.type = mp::EventType::call_done;
  interrupted.request_id = id;
  interrupted.error = {mp::ErrorCode::timeout, "interrupted", 0};
  return interrupted;
}

}  // namespace sudachi::mp_cli
