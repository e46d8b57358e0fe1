// Held-out metrics: one fused pass for the weighted log-loss and accuracy (see
// heldout_metrics.hpp).
#include "shine/objective/heldout_metrics.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "linalg/row_kernels.hpp"
#include "shine/core/communicator.hpp"
#include "shine/objective/logistic_loss.hpp"

namespace shine::objective {

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
  // The weighted loss, the weighted hits and the hits counted once.
  const auto partials = linalg::sum_over_chunks<3>(
      chunks, linalg::resolve_threads(num_threads),
      [&](Index begin, Index end, std::array<double, 3>& partial) {
        for (Index i = begin; i < end; ++i) {
          const double score = linalg::row_dot(data.X, i, w.data()) + bias;
          const double ci = c != nullptr ? c[i] : 1.0;
          const bool hit = predicted_sign(score) == data.y[i];
          partial[0] += ci * softplus(-data.y[i] * score);
          partial[1] += hit ? ci : 0.0;
          partial[2] += hit ? 1.0 : 0.0;
        }
      });
  // Distributed: the loss, the hits, Σc, the hit count and the row count of every process's
  // rows, in one sum (each entry is summed on its own: the counts do not change the others).
  std::array<double, 5> totals{partials[0], partials[1], data.total_weight(), partials[2],
                               static_cast<double>(data.rows())};
  core::sum_if_distributed(data.communicator, totals);
  metrics.rows = static_cast<Index>(totals[4]);
  metrics.correct = static_cast<Index>(totals[3]);
  const double n = totals[2];
  metrics.total_weight = n;
  if (n == 0.0) return metrics;  // distributed, and no process holds a row
  metrics.loss_sum = totals[0];
  metrics.mean_loss = totals[0] / n;
  metrics.accuracy = totals[1] / n;
  return metrics;
}

}  // namespace shine::objective
