// Held-out metrics: one fused pass for the weighted log-loss and accuracy (see heldout.hpp).
#include "shine/outer/heldout.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "shine/core/communicator.hpp"
#include "shine/linalg/sparse_kernels.hpp"
#include "shine/objective/logistic_loss.hpp"

namespace shine::outer {

HeldOutMetrics evaluate_heldout(const data::Dataset& data, const Vector& w, bool fit_intercept,
                                int num_threads) {
  const Index d = data.features();
  if (w.size() != d + (fit_intercept ? 1 : 0)) {
    throw std::invalid_argument("evaluate_heldout: w has " + std::to_string(w.size()) +
                                " entries for " + std::to_string(d) + " features" +
                                (fit_intercept ? " and an intercept" : ""));
  }
  HeldOutMetrics metrics;
  const bool distributed = core::is_distributed(data.communicator);
  if (data.rows() == 0 && !distributed) return metrics;
  const double bias = fit_intercept ? w[d] : 0.0;
  const linalg::RowChunks chunks = linalg::RowChunks::balanced(data.X);
  const double* c = data.weighted() ? data.weights.data() : nullptr;
  const auto partials = linalg::sum_over_chunks<2>(
      chunks, linalg::resolve_threads(num_threads),
      [&](Index begin, Index end, std::array<double, 2>& partial) {
        for (Index i = begin; i < end; ++i) {
          const double score = linalg::row_dot(data.X, i, w.data()) + bias;
          const double ci = c != nullptr ? c[i] : 1.0;
          partial[0] += ci * objective::softplus(-data.y[i] * score);
          partial[1] += objective::predicted_sign(score) == data.y[i] ? ci : 0.0;
        }
      });
  // Distributed: the loss, the hits and Σc of every process's rows, in one sum.
  std::array<double, 3> totals{partials[0], partials[1], data.total_weight()};
  core::sum_if_distributed(data.communicator, totals);
  const double n = totals[2];
  metrics.total_weight = n;
  if (n == 0.0) return metrics;  // distributed, and no process holds a row
  metrics.loss_sum = totals[0];
  metrics.mean_loss = totals[0] / n;
  metrics.accuracy = totals[1] / n;
  return metrics;
}

}  // namespace shine::outer
