#include "storage/postgres/postgres_history_sql.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <unordered_map>

#include "storage/history/history_format.hpp"

namespace sudachi::storage::pg {
namespace {

// The WHERE keeps a late, older sighting (a retried batch racing a newer one, or another
// instance's slower batch) from moving last_seen or the client's details backwards.
// created_at is set by the first sighting only.
constexpr std::string_view kClientHead =
    "INSERT INTO clients AS c (id, username, created_at, last_seen, platform, sudachi_version) "
    "VALUES ";
constexpr std::string_view kClientTail =
    " ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
    "last_seen = excluded.last_seen, platform = excluded.platform, "
    "sudachi_version = excluded.sudachi_version WHERE excluded.last_seen >= c.last_seen";
constexpr std::array<std::string_view, 6> kClientCasts = {"text",        "text", "timestamptz",
                                                          "timestamptz", "text", "text"};

// A room closes once, so its id identifies the row. ON CONFLICT (id) DO NOTHING ignores only
// the duplicate id; any other constraint still fails loudly.
constexpr std::string_view kRoomHead =
    "INSERT INTO room_history (id, game_id, host_client_id, max_players, actual_players, "
    "created_at, closed_at, duration_seconds, region, connection_types) VALUES ";
constexpr std::string_view kRoomTail = " ON CONFLICT (id) DO NOTHING";
constexpr std::array<std::string_view, 10> kRoomCasts = {
    "text",        "text",        "text",    "integer", "integer",
    "timestamptz", "timestamptz", "integer", "text",    "jsonb"};

constexpr std::string_view kMetricHead =
    "INSERT INTO connection_metrics (client_id, room_id, connection_type, latency_ms, "
    "packet_loss_rate, bandwidth_kbps, recorded_at) VALUES ";
constexpr std::array<std::string_view, 7> kMetricCasts = {
    "text", "text", "text", "integer", "double precision", "integer", "timestamptz"};

// A client as sent: its newest row, and when the batch first saw it. created_at comes from
// the first sighting, as if the batch's rows had been upserted one by one.
struct ClientSighting {
  const room::ClientRow* newest;
  std::int64_t first_seen_ms;
};

void add_client(Params& params, const ClientSighting& client) {
  const room::ClientRow& row = *client.newest;
  params.add_text(row.client_id);
  params.add_text(row.username);
  params.add_text(format_utc_timestamp(client.first_seen_ms));  // used only for a new client
  params.add_text(format_utc_timestamp(row.seen_at_ms));        // last_seen
  params.add_text(row.platform);
  params.add_text(row.sudachi_version);
}

// closed_at 0 means the close time is unknown: NULL, and no duration.
void add_room(Params& params, const room::RoomHistoryRow& row) {
  params.add_text(row.room_id);
  params.add_text(row.game_id);
  params.add_text_or_null(row.host_client_id);
  params.add_int(row.max_players);
  params.add_int(row.actual_players);
  params.add_text(format_utc_timestamp(row.created_at_ms));
  if (row.closed_at_ms > 0) {
    params.add_text(format_utc_timestamp(row.closed_at_ms));
    // Clamped: wall clocks step backwards sometimes; a negative duration is never meant.
    params.add_int(std::max<std::int64_t>(row.closed_at_ms - row.created_at_ms, 0) / 1000);
  } else {
    params.add_null();
    params.add_null();
  }
  params.add_text_or_null(row.region);
  params.add_text(connection_types_json(row.connections));
}

void add_metric(Params& params, const room::ConnectionMetricRow& row) {
  params.add_text_or_null(row.client_id);
  params.add_text_or_null(row.room_id);
  params.add_text_or_null(row.connection_type);
  params.add_int(row.latency_ms);
  params.add_double(row.packet_loss_rate);
  params.add_int(row.bandwidth_kbps);
  params.add_text(format_utc_timestamp(row.recorded_at_ms));
}

// "($1::text,$2::jsonb),($3::text,$4::jsonb)": explicit casts, so PostgreSQL never has to
// guess a parameter's type from context.
std::string values_clause(std::span<const std::string_view> casts, std::size_t rows) {
  std::string out;
  std::size_t param = 1;
  for (std::size_t row = 0; row < rows; ++row) {
    out += row == 0 ? "(" : ",(";
    bool first = true;
    for (std::string_view cast : casts) {
      if (!first) out += ',';
      first = false;
      out += '$';
      out += std::to_string(param++);
      out += "::";
      out += cast;
    }
    out += ')';
  }
  return out;
}

// Appends one INSERT per kRowsPerInsert items of `rows` (pointers or small handles, so that
// sorting copies no row).
template <class Item, class AddRow>
void add_inserts(std::vector<Insert>& out, const std::vector<Item>& rows, std::string_view head,
                 std::span<const std::string_view> casts, std::string_view tail, AddRow add_row) {
  for (std::size_t start = 0; start < rows.size(); start += kRowsPerInsert) {
    const std::size_t n = std::min(kRowsPerInsert, rows.size() - start);
    Insert insert;
    insert.sql.reserve(head.size() + tail.size() + n * casts.size() * 16);
    insert.sql += head;
    insert.sql += values_clause(casts, n);
    insert.sql += tail;
    for (std::size_t i = start; i < start + n; ++i) add_row(insert.params, rows[i]);
    out.push_back(std::move(insert));
  }
}

// One entry per client id; its newest row wins, on equal times the later one, as sequential
// upserts with ">=" would leave it. Sorted by id.
std::vector<ClientSighting> sightings(const std::vector<room::ClientRow>& rows) {
  std::unordered_map<std::string_view, ClientSighting> by_id;
  for (const room::ClientRow& row : rows) {
    auto [it, inserted] = by_id.try_emplace(row.client_id, ClientSighting{&row, row.seen_at_ms});
    if (inserted) continue;
    ClientSighting& seen = it->second;
    if (row.seen_at_ms >= seen.newest->seen_at_ms) seen.newest = &row;
    seen.first_seen_ms = std::min(seen.first_seen_ms, row.seen_at_ms);
  }
  std::vector<ClientSighting> out;
  out.reserve(by_id.size());
  for (const auto& [id, seen] : by_id) out.push_back(seen);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.newest->client_id < b.newest->client_id; });
  return out;
}

template <class Row>
std::vector<const Row*> pointers(const std::vector<Row>& rows) {
  std::vector<const Row*> out;
  out.reserve(rows.size());
  for (const Row& row : rows) out.push_back(&row);
  return out;
}

}  // namespace

std::vector<Insert> history_inserts(const HistoryBatch& batch) {
  std::vector<Insert> out;
  add_inserts(out, sightings(batch.clients), kClientHead, kClientCasts, kClientTail, add_client);

  std::vector<const room::RoomHistoryRow*> rooms = pointers(batch.rooms);
  std::stable_sort(rooms.begin(), rooms.end(),
                   [](const auto* a, const auto* b) { return a->room_id < b->room_id; });
  add_inserts(out, rooms, kRoomHead, kRoomCasts, kRoomTail,
              [](Params& params, const auto* row) { add_room(params, *row); });

  add_inserts(out, pointers(batch.metrics), kMetricHead, kMetricCasts, {},
              [](Params& params, const auto* row) { add_metric(params, *row); });
  return out;
}

}  // namespace sudachi::storage::pg
