#include "storage/memory/memory_delivery.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sudachi::storage {
namespace {

// Records what the domain sent it.
class RecordingConnection final : public room::ClientConnection {
 public:
  void send(room::SharedFrame frame) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(*frame);
  }
  void disconnect() override { disconnected_ = true; }

  std::vector<std::string> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  bool disconnected() const { return disconnected_; }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> frames_;
  bool disconnected_ = false;
};

room::SharedFrame frame(const std::string& text) {
  return std::make_shared<const std::string>(text);
}

using Frames = std::vector<std::string>;

TEST(MemoryDelivery, AttachThenSendToClient) {
  MemoryDelivery delivery;
  auto a = std::make_shared<RecordingConnection>();
  EXPECT_EQ(delivery.attach("a", a), nullptr);
  EXPECT_EQ(delivery.local_connections(), 1u);
  delivery.to_client("a", frame("hello"));
  delivery.to_client("nobody", frame("lost"));  // unknown clients are skipped
  EXPECT_EQ(a->frames(), Frames{"hello"});
}

TEST(MemoryDelivery, ToClientsSharesOneFrame) {
  MemoryDelivery delivery;
  auto a = std::make_shared<RecordingConnection>();
  auto b = std::make_shared<RecordingConnection>();
  delivery.attach("a", a);
  delivery.attach("b", b);
  delivery.to_clients({"a", "b", "gone"}, frame("x"));
  EXPECT_EQ(a->frames(), Frames{"x"});
  EXPECT_EQ(b->frames(), Frames{"x"});
}

TEST(MemoryDelivery, AttachReplacesAndReturnsThePreviousConnection) {
  MemoryDelivery delivery;
  auto first = std::make_shared<RecordingConnection>();
  auto second = std::make_shared<RecordingConnection>();
  delivery.attach("a", first);
  EXPECT_EQ(delivery.attach("a", second), first);
  EXPECT_EQ(delivery.local_connections(), 1u);
  delivery.to_client("a", frame("new"));
  EXPECT_TRUE(first->frames().empty());
  EXPECT_EQ(second->frames(), Frames{"new"});

  // The old connection's late detach must not remove the new one.
  EXPECT_FALSE(delivery.detach("a", first.get()));
  EXPECT_EQ(delivery.local_connections(), 1u);
  delivery.to_client("a", frame("still"));
  EXPECT_EQ(second->frames(), (Frames{"new", "still"}));

  EXPECT_TRUE(delivery.detach("a", second.get()));
  EXPECT_EQ(delivery.local_connections(), 0u);
  EXPECT_FALSE(delivery.detach("a", second.get()));
}

TEST(MemoryDelivery, LobbyGameFilter) {
  MemoryDelivery delivery;
  auto everything = std::make_shared<RecordingConnection>();
  auto g1 = std::make_shared<RecordingConnection>();
  auto g2 = std::make_shared<RecordingConnection>();
  auto not_subscribed = std::make_shared<RecordingConnection>();
  delivery.attach("all", everything);
  delivery.attach("g1", g1);
  delivery.attach("g2", g2);
  delivery.attach("none", not_subscribed);
  delivery.subscribe_lobby("all", std::nullopt);
  delivery.subscribe_lobby("g1", "G1");
  delivery.subscribe_lobby("g2", "G2");
  delivery.subscribe_lobby("stranger", "G1");  // not attached: ignored
  EXPECT_EQ(delivery.lobby_subscribers(), 3u);

  delivery.to_lobby("G1", frame("one"));
  delivery.to_lobby("G3", frame("three"));
  EXPECT_EQ(everything->frames(), (Frames{"one", "three"}));
  EXPECT_EQ(g1->frames(), Frames{"one"});
  EXPECT_TRUE(g2->frames().empty());
  EXPECT_TRUE(not_subscribed->frames().empty());

  // Resubscribing replaces the filter.
  delivery.subscribe_lobby("g1", "G2");
  delivery.to_lobby("G1", frame("again"));
  EXPECT_EQ(g1->frames(), Frames{"one"});
  delivery.to_lobby("G2", frame("two"));
  EXPECT_EQ(g1->frames(), (Frames{"one", "two"}));
  EXPECT_EQ(g2->frames(), Frames{"two"});

  delivery.unsubscribe_lobby("all");
  delivery.to_lobby("G1", frame("later"));
  EXPECT_EQ(everything->frames(), (Frames{"one", "three", "again", "two"}));
}

TEST(MemoryDelivery, DetachDropsTheLobbySubscription) {
  MemoryDelivery delivery;
  auto a = std::make_shared<RecordingConnection>();
  delivery.attach("a", a);
  delivery.subscribe_lobby("a", std::nullopt);
  EXPECT_TRUE(delivery.detach("a", a.get()));
  EXPECT_EQ(delivery.lobby_subscribers(), 0u);
  delivery.to_lobby("G1", frame("x"));
  EXPECT_TRUE(a->frames().empty());
}

TEST(MemoryDelivery, ReconnectStartsUnsubscribedAndOldDetachSparesTheNewSubscription) {
  MemoryDelivery delivery;
  auto first = std::make_shared<RecordingConnection>();
  auto second = std::make_shared<RecordingConnection>();
  delivery.attach("a", first);
  delivery.subscribe_lobby("a", std::nullopt);
  delivery.attach("a", second);
  delivery.to_lobby("G1", frame("x"));
  EXPECT_TRUE(first->frames().empty());   // the replaced connection gets nothing more
  EXPECT_TRUE(second->frames().empty());  // the new one has not subscribed

  delivery.subscribe_lobby("a", "G1");
  EXPECT_FALSE(delivery.detach("a", first.get()));  // late detach of the old connection
  delivery.to_lobby("G1", frame("y"));
  EXPECT_EQ(second->frames(), Frames{"y"});
}

}  // namespace
}  // namespace sudachi::storage
