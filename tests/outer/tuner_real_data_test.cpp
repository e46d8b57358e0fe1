// The outer loop on real data: hypergradient methods reach the optimum of a dense grid.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "shine/outer/tuner.hpp"
#include "support/paths.hpp"

namespace shine::outer {
namespace {

// The first `rows` e-mails of the shipped SpamAssassin set, with the features they never use
// dropped (so the O(d) work of L-BFGS matches the data), split 80 / 10 / 10.
data::Split spam_subset(Index rows) {
  const data::Dataset all =
      data::read_libsvm(test::source_dir() / "datasets/spamassassin/spamassassin.uni.svm.xz");
  std::vector<int> remap(static_cast<std::size_t>(all.features()), -1);
  std::vector<Eigen::Triplet<double>> triplets;
  int used = 0;
  for (Index i = 0; i < rows; ++i) {
    for (SparseMatrix::InnerIterator it(all.X, i); it; ++it) {
      int& column = remap[static_cast<std::size_t>(it.col())];
      if (column < 0) column = used++;
      triplets.emplace_back(static_cast<int>(i), column, it.value());
    }
  }
  SparseMatrix X(rows, used);
  X.setFromTriplets(triplets.begin(), triplets.end());
  const data::Dataset subset = data::make_dataset(std::move(X), all.y.head(rows), "spam-subset");
  return data::split_dataset(subset, {.train = 0.8, .validation = 0.1, .test = 0.1, .seed = 0});
}

TEST(TunerOnRealData, HypergradientMethodsReachTheBestOfADense50PointGrid) {
  const data::Split parts = spam_subset(1500);
  TuneProblem problem;
  problem.train = &parts.train;
  problem.validation = &parts.validation;
  problem.test = &parts.test;
  const TuneResult grid = tune(problem, {.method = TuneMethod::Grid, .candidates = 50});
  ASSERT_TRUE(grid.has_result);
  // The grid optimum is inside the range, not at a bound: the comparison is meaningful.
  EXPECT_GT(grid.theta[0], -12.0);
  EXPECT_LT(grid.theta[0], 12.0);
  for (TuneMethod method : {TuneMethod::Hoag, TuneMethod::Shine, TuneMethod::ShineOpa}) {
    const TuneResult r = tune(problem, {.method = method, .max_iterations = 25});
    ASSERT_TRUE(r.has_result) << to_string(method);
    EXPECT_LE(r.validation_loss, 1.01 * grid.validation_loss)
        << to_string(method) << ": " << r.message << "; grid: " << grid.message;
    RecordProperty(std::string(to_string(method)) + "_over_grid",
                   std::to_string(r.validation_loss / grid.validation_loss));
  }
}

}  // namespace
}  // namespace shine::outer
