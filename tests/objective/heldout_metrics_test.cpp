// The held-out metrics (objective::evaluate_heldout): against direct computations, weighted and
// not, and the prediction rule of a zero score.
#include "shine/objective/heldout_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "support/random_problems.hpp"

namespace shine::objective {
namespace {

TEST(EvaluateHeldout, MatchesADirectComputation) {
  const data::Dataset d = test::random_dataset(60, 9, 0.4, 3);
  const Vector w = test::random_vector(10, 4);  // 9 weights + intercept
  const Eigen::MatrixXd X = Eigen::MatrixXd(d.X);
  double loss = 0.0, correct = 0.0;
  for (Index i = 0; i < d.rows(); ++i) {
    const double margin = d.y[i] * (X.row(i).dot(w.head(9)) + w[9]);
    loss += std::log1p(std::exp(-margin));
    correct += margin > 0 ? 1 : 0;
  }
  const HeldOutMetrics m = evaluate_heldout(d, w, true);
  EXPECT_NEAR(m.loss_sum, loss, 1e-10 * loss);
  EXPECT_NEAR(m.mean_loss, loss / 60.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.accuracy, correct / 60.0);
  EXPECT_EQ(m.total_weight, 60.0);
  EXPECT_EQ(m.rows, 60);
  EXPECT_EQ(static_cast<double>(m.correct), correct);
  EXPECT_THROW(evaluate_heldout(d, w, false), std::invalid_argument);
}

TEST(EvaluateHeldout, WeightedMeansMatchADirectComputation) {
  data::Dataset d = test::random_dataset(70, 9, 0.4, 8);
  Vector c(70);
  for (Index i = 0; i < 70; ++i)
    c[i] = 0.25 * static_cast<double>((i * 5 + 1) % 7);  // 0.25, 1.5, 0.75, 0, …
  data::set_sample_weights(d, c);
  const Vector w = test::random_vector(9, 6);
  const Eigen::MatrixXd X = Eigen::MatrixXd(d.X);
  double loss = 0.0, right_weight = 0.0;
  Index right = 0;
  for (Index i = 0; i < d.rows(); ++i) {
    const double margin = d.y[i] * X.row(i).dot(w);
    loss += c[i] * std::log1p(std::exp(-margin));
    right_weight += margin > 0 ? c[i] : 0.0;
    right += margin > 0 ? 1 : 0;
  }
  const HeldOutMetrics m = evaluate_heldout(d, w, false, 2);
  EXPECT_NEAR(m.total_weight, c.sum(), 1e-12 * c.sum());
  EXPECT_NEAR(m.loss_sum, loss, 1e-12 * loss);
  EXPECT_NEAR(m.mean_loss, loss / c.sum(), 1e-12);
  EXPECT_NEAR(m.accuracy, right_weight / c.sum(), 1e-15);
  EXPECT_EQ(m.rows, 70);
  EXPECT_EQ(m.correct, right);  // a count: a row of weight 0 predicted right counts once
}

TEST(EvaluateHeldout, AZeroScorePredictsTheNegativeClass) {
  // w = 0: every score is 0, predicted −1 (objective::predicted_sign, the model's rule too), so
  // the accuracy is the share of negative rows, and the loss log 2 per row.
  const data::Dataset d = test::random_dataset(60, 9, 0.4, 3);
  const double negatives = static_cast<double>((d.y.array() < 0.0).count());
  ASSERT_GT(negatives, 0.0);
  ASSERT_LT(negatives, 60.0);
  const HeldOutMetrics m = evaluate_heldout(d, Vector::Zero(9), false);
  EXPECT_DOUBLE_EQ(m.accuracy, negatives / 60.0);
  EXPECT_NEAR(m.mean_loss, std::log(2.0), 1e-15);
}

TEST(EvaluateHeldout, NoRowsGiveNaN) {
  const data::Dataset d = data::select_rows(test::random_dataset(10, 4, 0.4, 3), {}, "empty");
  const HeldOutMetrics m = evaluate_heldout(d, Vector::Zero(4), false);
  EXPECT_EQ(m.rows, 0);
  EXPECT_TRUE(std::isnan(m.mean_loss));
  EXPECT_TRUE(std::isnan(m.accuracy));
}

}  // namespace
}  // namespace shine::objective
