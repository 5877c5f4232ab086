#include "relay_it.hpp"

namespace sudachi::relay::test {

// Back ends under test: every TEST_P(RelayIT, ...) runs once per entry.
INSTANTIATE_TEST_SUITE_P(Backends, RelayIT,
                         ::testing::Values(std::string("asio"), std::string("uring")),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace sudachi::relay::test
