// k-fold cross-validation parts (data::kfold_split).
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "support/random_problems.hpp"

namespace shine::data {
namespace {

// The original row of each row of `part`, found by its weight (weight = 1 + original index).
std::vector<Index> source_rows(const Dataset& part) {
  std::vector<Index> rows;
  for (Index i = 0; i < part.rows(); ++i)
    rows.push_back(static_cast<Index>(part.weights[i]) - 1);
  return rows;
}

Dataset numbered(Index rows, std::uint64_t seed) {
  Dataset data = test::random_dataset(rows, 8, 0.4, seed);
  Vector weights(rows);
  for (Index i = 0; i < rows; ++i)
    weights[i] = 1.0 + static_cast<double>(i);
  set_sample_weights(data, weights);
  return data;
}

TEST(KFold, EveryRowIsValidatedOnceAndTrainsInTheOtherFolds) {
  const Dataset data = numbered(103, 1);
  for (const bool stratify : {true, false}) {
    const std::vector<Split> parts =
        kfold_split(data, {.folds = 5, .seed = 7, .stratify = stratify});
    ASSERT_EQ(parts.size(), 5U);
    std::multiset<Index> validated;
    for (const Split& part : parts) {
      const std::vector<Index> validation = source_rows(part.validation);
      const std::vector<Index> train = source_rows(part.train);
      EXPECT_EQ(part.test.rows(), 0);
      EXPECT_EQ(validation.size() + train.size(), 103U);
      EXPECT_TRUE(std::is_sorted(validation.begin(), validation.end()));  // original order
      EXPECT_TRUE(std::is_sorted(train.begin(), train.end()));
      const std::set<Index> held(validation.begin(), validation.end());
      for (const Index row : train)
        EXPECT_EQ(held.count(row), 0U);
      validated.insert(validation.begin(), validation.end());
      // Sizes differ by at most one (per class when stratified: two in all).
      EXPECT_GE(part.validation.rows(), 103 / 5 - (stratify ? 1 : 0));
      EXPECT_LE(part.validation.rows(), 103 / 5 + (stratify ? 2 : 1));
      for (Index i = 0; i < part.validation.rows(); ++i)
        EXPECT_EQ(part.validation.y[i], data.y[validation[static_cast<std::size_t>(i)]]);
    }
    EXPECT_EQ(validated.size(), 103U);
    EXPECT_EQ(std::set<Index>(validated.begin(), validated.end()).size(), 103U);
  }
}

TEST(KFold, StratifiedFoldsKeepTheClassBalanceAndSeedsRepeat) {
  const Dataset data = numbered(200, 2);
  const Index positives = data.positives();
  const std::vector<Split> parts = kfold_split(data, {.folds = 4, .seed = 3});
  for (const Split& part : parts) {
    EXPECT_LE(std::abs(static_cast<double>(part.validation.positives()) -
                       static_cast<double>(positives) / 4.0),
              1.0);
  }
  const std::vector<Split> again = kfold_split(data, {.folds = 4, .seed = 3});
  const std::vector<Split> other = kfold_split(data, {.folds = 4, .seed = 4});
  EXPECT_EQ(again[2].validation.weights, parts[2].validation.weights);
  EXPECT_NE(other[2].validation.weights, parts[2].validation.weights);
}

TEST(KFold, ImpossibleFoldsAreRejectedWithAReason) {
  const Dataset data = test::random_dataset(6, 4, 0.5, 3);
  EXPECT_THROW((void)kfold_split(data, {.folds = 1}), std::invalid_argument);
  EXPECT_THROW((void)kfold_split(data, {.folds = 1001}), std::invalid_argument);
  try {
    (void)kfold_split(data, {.folds = 7});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("use fewer folds or more data"), std::string::npos);
  }
  // Two positive rows among 6 and 6 folds: some training part holds one class only.
  std::vector<Index> rows{0, 1, 2, 3, 4, 5};
  Dataset skewed = select_rows(data, rows, "skewed");
  skewed.y.setConstant(-1.0);
  skewed.y[0] = 1.0;
  EXPECT_THROW((void)kfold_split(skewed, {.folds = 6, .stratify = false}), std::invalid_argument);
}

}  // namespace
}  // namespace shine::data
