#include "shine/core/status.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/check.hpp"

namespace shine {
namespace {

TEST(Termination, NamesRoundTrip) {
  for (auto t : {Termination::Converged, Termination::MaxIterations, Termination::LineSearchFailed,
                 Termination::NumericalError, Termination::TimeLimit, Termination::Interrupted,
                 Termination::StoppedByObserver}) {
    const auto parsed = parse_termination(to_string(t));
    ASSERT_TRUE(parsed.has_value()) << to_string(t);
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_FALSE(parse_termination("finished").has_value());
  EXPECT_TRUE(is_success(Termination::Converged));
  EXPECT_FALSE(is_success(Termination::MaxIterations));
}

TEST(Require, MessageNamesFieldValueAndRule) {
  EXPECT_NO_THROW(require(true, "Options::memory", 3, "must be >= 1"));
  try {
    require(false, "Options::memory", 0, "must be >= 1");
    FAIL() << "require(false, ...) did not throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "Options::memory = 0: must be >= 1");
  }
}

}  // namespace
}  // namespace shine
