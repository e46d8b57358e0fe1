#include "shine/objective/outer_objective.hpp"

#include <memory>
#include <string>

#include "core/check.hpp"
#include "linalg/row_kernels.hpp"
#include "shine/core/communicator.hpp"
#include "shine/objective/logistic_loss.hpp"

namespace shine::objective {

struct OuterObjective::Chunks {
  linalg::RowChunks rows;  // of X': per-sample loops
};

OuterObjective::OuterObjective(const data::Dataset& heldout, ObjectiveOptions options)
    : data_(&heldout), options_(options), features_(heldout.features()) {
  options_.validate();
  chunks_ = std::make_shared<const Chunks>(Chunks{linalg::RowChunks::balanced(heldout.X)});
}

double OuterObjective::value(const Vector& w) const {
  require(w.size() == dim(), "OuterObjective: size of w", w.size(),
          "must equal dim() = " + std::to_string(dim()));
  const SparseMatrix& X = data_->X;
  const double* y = data_->y.data();
  const double* wp = w.data();
  const double bias = options_.fit_intercept ? w[features_] : 0.0;
  const double* c = data_->weighted() ? data_->weights.data() : nullptr;
  auto sums = linalg::sum_over_chunks<1>(
      chunks_->rows, options_.num_threads, [&](Index begin, Index end, std::array<double, 1>& acc) {
        for (Index i = begin; i < end; ++i) {
          const double ci = c != nullptr ? c[i] : 1.0;
          acc[0] += ci * softplus(-y[i] * (linalg::row_dot(X, i, wp) + bias));
        }
      });
  core::sum_if_distributed(data_->communicator, sums);
  return sums[0];
}

double OuterObjective::value_and_gradient(const Vector& w, Vector& gradient) const {
  require(w.size() == dim(), "OuterObjective: size of w", w.size(),
          "must equal dim() = " + std::to_string(dim()));
  const SparseMatrix& X = data_->X;
  const double* y = data_->y.data();
  const double* wp = w.data();
  const double bias = options_.fit_intercept ? w[features_] : 0.0;
  Vector residual(samples());
  double* r = residual.data();
  const double* c = data_->weighted() ? data_->weights.data() : nullptr;
  const auto sums = linalg::sum_over_chunks<2>(
      chunks_->rows, options_.num_threads, [&](Index begin, Index end, std::array<double, 2>& acc) {
        for (Index i = begin; i < end; ++i) {
          const LogisticTerms t = logistic_terms(y[i] * (linalg::row_dot(X, i, wp) + bias));
          const double ci = c != nullptr ? c[i] : 1.0;
          r[i] = -y[i] * ci * t.sigma_neg;
          acc[0] += ci * t.loss;
          acc[1] += r[i];
        }
      });
  if (core::is_distributed(data_->communicator)) {
    // One sum over the group: X'ᵀr' of this process's rows, the loss and Σr'.
    Vector summed(features_ + 2);
    linalg::multiply(data_->Xt, residual, summed.head(features_), options_.num_threads);
    summed[features_] = sums[0];
    summed[features_ + 1] = sums[1];
    data_->communicator->sum(
        std::span<double>(summed.data(), static_cast<std::size_t>(summed.size())));
    gradient = summed.head(dim());
    if (options_.fit_intercept) gradient[features_] = summed[features_ + 1];
    return summed[features_];
  }
  gradient.resize(dim());
  linalg::multiply(data_->Xt, residual, gradient.head(features_), options_.num_threads);
  if (options_.fit_intercept) gradient[features_] = sums[1];
  return sums[0];
}

}  // namespace shine::objective
