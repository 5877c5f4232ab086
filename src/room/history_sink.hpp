#pragma once

#include <cstdint>
#include <string>

#include "room/model.hpp"

namespace sudachi::room {

struct ClientRow {
  std::string client_id;
  std::string username;
  std::string platform;
  std::string sudachi_version;
  std::int64_t seen_at_ms = 0;
};

struct RoomHistoryRow {
  std::string room_id;
  std::string game_id;
  std::string host_client_id;  // the host at creation
  int max_players = 0;
  int actual_players = 0;  // peak concurrent members
  std::int64_t created_at_ms = 0;
  std::int64_t closed_at_ms = 0;
  std::string region;
  ConnectionCounts connections;
};

struct ConnectionMetricRow {
  std::string client_id;
  std::string room_id;
  std::string connection_type;
  int latency_ms = 0;
  double packet_loss_rate = 0;
  int bandwidth_kbps = 0;
  std::int64_t recorded_at_ms = 0;
};

// Persistent history. Calls only enqueue (never block a network thread); a writer thread
// batches rows into the database. A full queue drops the row and counts it.
class HistorySink {
 public:
  virtual ~HistorySink() = default;
  virtual void upsert_client(ClientRow row) = 0;
  virtual void room_closed(RoomHistoryRow row) = 0;
  virtual void connection_metric(ConnectionMetricRow row) = 0;
  virtual bool healthy() const = 0;
};

}  // namespace sudachi::room
