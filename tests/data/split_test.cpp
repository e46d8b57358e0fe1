#include "shine/data/split.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "core/random.hpp"

namespace shine::data {
namespace {

// A dataset whose row i has a single entry (column i % d, value i + 1), so each row of a part
// tells which source row it came from.
Dataset numbered_rows(Index n, Index d, double positive_fraction = 0.3) {
  std::vector<Eigen::Triplet<double>> t;
  Vector y(n);
  for (Index i = 0; i < n; ++i) {
    t.emplace_back(static_cast<int>(i), static_cast<int>(i % d), static_cast<double>(i + 1));
    y[i] = (static_cast<double>(i % 10) < positive_fraction * 10.0) ? 1.0 : -1.0;
  }
  SparseMatrix X(n, d);
  X.setFromTriplets(t.begin(), t.end());
  return make_dataset(std::move(X), std::move(y), "numbered");
}

std::vector<Index> source_rows(const Dataset& part) {
  std::vector<Index> rows;
  for (Index i = 0; i < part.rows(); ++i) {
    rows.push_back(static_cast<Index>(part.X.valuePtr()[part.X.outerIndexPtr()[i]]) - 1);
  }
  return rows;
}

TEST(Split, DefaultSizesAreNinetyFiveFive) {
  const Dataset d = numbered_rows(1000, 7);
  const Split s = split_dataset(d);
  EXPECT_EQ(s.train.rows(), 900);
  EXPECT_EQ(s.validation.rows(), 50);
  EXPECT_EQ(s.test.rows(), 50);
  for (const Dataset* part : {&s.train, &s.validation, &s.test}) {
    EXPECT_EQ(part->features(), 7);
    EXPECT_NO_THROW(part->validate());
  }
  EXPECT_EQ(s.train.name, "numbered[train]");
}

TEST(Split, PartsAreDisjointAndCoverEveryRow) {
  const Dataset d = numbered_rows(537, 11);
  const Split s = split_dataset(d, {.train = 0.7, .validation = 0.2, .test = 0.1, .seed = 3});
  std::set<Index> seen;
  for (const Dataset* part : {&s.train, &s.validation, &s.test}) {
    for (Index r : source_rows(*part)) {
      EXPECT_TRUE(seen.insert(r).second) << "row " << r << " appears twice";
    }
  }
  EXPECT_EQ(seen.size(), 537U);
}

TEST(Split, SameSeedSameSplitOtherSeedOtherSplit) {
  const Dataset d = numbered_rows(400, 5);
  const auto a = source_rows(split_dataset(d, {.seed = 42}).validation);
  const auto b = source_rows(split_dataset(d, {.seed = 42}).validation);
  const auto c = source_rows(split_dataset(d, {.seed = 43}).validation);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Split, LabelsFollowTheirRows) {
  const Dataset d = numbered_rows(300, 4);
  const Split s = split_dataset(d, {.seed = 9});
  for (const Dataset* part : {&s.train, &s.validation, &s.test}) {
    const auto rows = source_rows(*part);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(part->y[static_cast<Index>(i)], d.y[rows[i]]);
    }
  }
}

TEST(Split, StratifiedKeepsClassProportions) {
  const Dataset d = numbered_rows(2000, 3, 0.2);  // 400 positives
  const Split s =
      split_dataset(d, {.train = 0.8, .validation = 0.1, .test = 0.1, .stratify = true});
  EXPECT_EQ(s.validation.positives(), 40);
  EXPECT_EQ(s.test.positives(), 40);
  EXPECT_EQ(s.train.positives(), 320);
  EXPECT_EQ(s.train.rows() + s.validation.rows() + s.test.rows(), 2000);
}

TEST(Split, ZeroTestFractionGivesAnEmptyTestPart) {
  const Dataset d = numbered_rows(100, 3);
  const Split s = split_dataset(d, {.train = 0.9, .validation = 0.1, .test = 0.0});
  EXPECT_EQ(s.test.rows(), 0);
  EXPECT_EQ(s.validation.rows(), 10);
  EXPECT_EQ(s.test.features(), 3);
}

TEST(Split, RejectsBadFractionsAndTooSmallData) {
  const Dataset d = numbered_rows(10, 3);
  EXPECT_THROW(split_dataset(d, {.train = 0.9, .validation = 0.2, .test = 0.0}),
               std::invalid_argument);
  EXPECT_THROW(split_dataset(d, {.train = 0.0, .validation = 0.5, .test = 0.5}),
               std::invalid_argument);
  EXPECT_THROW(split_dataset(d, {.train = 0.98, .validation = 0.01, .test = 0.01}),
               std::invalid_argument);
  try {
    split_dataset(d, {.train = 0.5, .validation = 0.6, .test = -0.1});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("SplitOptions::test = -0.1"), std::string::npos);
  }
}

TEST(SelectRows, CopiesRowsInOrderAndChecksBounds) {
  const Dataset d = numbered_rows(20, 4);
  const std::vector<Index> rows{5, 2, 5};
  const Dataset part = select_rows(d, rows, "picked");
  EXPECT_EQ(source_rows(part), rows);
  const std::vector<Index> bad{20};
  EXPECT_THROW(select_rows(d, bad, "bad"), std::out_of_range);
}

TEST(Random, StreamsAreReproducibleAndUnbiasedEnough) {
  Random a(7), b(7);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.below(1000), b.below(1000));
  Random r(1);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 30000; ++i)
    ++counts[r.below(3)];
  for (int c : counts)
    EXPECT_NEAR(c, 10000, 400);
  double sum = 0.0, sum_sq = 0.0;
  for (int i = 0; i < 20000; ++i) {
    const double z = r.normal();
    sum += z;
    sum_sq += z * z;
  }
  EXPECT_NEAR(sum / 20000.0, 0.0, 0.03);
  EXPECT_NEAR(sum_sq / 20000.0, 1.0, 0.04);
}

}  // namespace
}  // namespace shine::data
