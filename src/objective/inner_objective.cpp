#include "shine/objective/inner_objective.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "linalg/row_kernels.hpp"
#include "shine/core/communicator.hpp"
#include "shine/objective/logistic_loss.hpp"

namespace shine::objective {
namespace {

// Stores sample i's terms of the evaluation state from its σ(−z_i) and σ(z_i)σ(−z_i): the
// weighted curvature D_i and the residual r_i = −c_i y_i σ(−z_i), which it returns.
inline double store_sample_terms(Index i, double sigma_neg, double curvature, double ci,
                                 const double* y, double* p, double* D, double* r) {
  p[i] = sigma_neg;
  D[i] = ci * curvature;
  r[i] = -y[i] * ci * sigma_neg;
  return r[i];
}

// One pass over the rows of X in the fixed chunks `rows`: body(i, x_iᵀv, acc) for every row i,
// with W per-chunk partial sums added in chunk order (the same bits for every thread count). On
// binary data (`unit_values`) the dot products skip reading the values (the same bits too).
template <std::size_t W, typename Body>
std::array<double, W> sum_over_rows(const SparseMatrix& X, const linalg::RowChunks& rows,
                                    int threads, bool unit_values, const double* v, Body&& body) {
  return linalg::with_unit_values(unit_values, [&](auto unit) {
    return linalg::sum_over_chunks<W>(
        rows, threads, [&](Index begin, Index end, std::array<double, W>& acc) {
          for (Index i = begin; i < end; ++i)
            body(i, linalg::row_dot<decltype(unit)::value>(X, i, v), acc);
        });
  });
}

}  // namespace

struct InnerObjective::Chunks {
  linalg::RowChunks rows;              // of X: per-sample loops
  linalg::RowChunks features;          // of Xt: per-feature loops (gradient, penalty forms)
  linalg::RowChunks uniform_features;  // distributed: loops over w
  // Every stored value of X (hence of Xt) is exactly 1: the data passes skip reading the values
  // (the same bits, linalg::row_dot<true>).
  bool unit_values = false;

  // The feature chunks of the loops over w: the same on every process when distributed (the
  // chunks of Xt follow the local rows).
  [[nodiscard]] const linalg::RowChunks& weights(bool distributed) const noexcept {
    return distributed ? uniform_features : features;
  }
};

InnerObjective::InnerObjective(const data::Dataset& train, L2Regularizer regularizer,
                               ObjectiveOptions options)
    : data_(&train),
      regularizer_(std::move(regularizer)),
      options_(options),
      features_(train.features()),
      communicator_(train.communicator) {
  options_.validate();
  require(regularizer_.features() == features_, "InnerObjective: regularizer features",
          regularizer_.features(),
          "must equal the dataset's feature count " + std::to_string(features_));
  require(train.Xt.rows() == features_ && train.Xt.cols() == train.rows(),
          "InnerObjective: Xt rows", train.Xt.rows(), "Xt must be the stored transpose of X");
  auto chunks = std::make_shared<Chunks>();
  chunks->rows = linalg::RowChunks::balanced(train.X);
  chunks->features = linalg::RowChunks::balanced(train.Xt);
  chunks->unit_values = linalg::has_unit_values(train.X);
  column_sq_norms_.resize(features_);
  const double* c = sample_weights();
  for (Index j = 0; j < features_; ++j) {
    if (c == nullptr) {
      column_sq_norms_[j] = train.Xt.row(j).squaredNorm();
      continue;
    }
    double sum = 0.0;
    for (SparseMatrix::InnerIterator it(train.Xt, j); it; ++it)
      sum += c[it.index()] * it.value() * it.value();
    column_sq_norms_[j] = sum;
  }
  if (distributed()) {
    // Every process must loop over w in the same chunks (those of Xt follow the local rows).
    chunks->uniform_features = linalg::RowChunks::uniform(features_);
    Vector totals(features_ + 1);
    totals.head(features_) = column_sq_norms_;
    totals[features_] = train.total_weight();
    reduce(std::span<double>(totals.data(), static_cast<std::size_t>(totals.size())));
    column_sq_norms_ = totals.head(features_);
    total_weight_ = totals[features_];
  }
  chunks_ = std::move(chunks);
}

bool InnerObjective::distributed() const noexcept {
  return core::is_distributed(communicator_);
}

void InnerObjective::reduce(std::span<double> values) const {
  if (distributed()) communicator_->sum(values);
}

Vector InnerObjective::reduced_transpose(const Vector& q, std::span<const double> extra) const {
  Vector out(features_ + static_cast<Index>(extra.size()));
  linalg::multiply(data_->Xt, q, out.head(features_), options_.num_threads);
  std::copy(extra.begin(), extra.end(), out.data() + features_);
  reduce(std::span<double>(out.data(), static_cast<std::size_t>(out.size())));
  return out;
}

Vector InnerObjective::hessian_diagonal_bound() const {
  Vector bound(dim());
  bound.head(features_) = 0.25 * column_sq_norms_ + regularizer_.weights();
  if (options_.fit_intercept) {
    bound[features_] = 0.25 * (distributed() ? total_weight_ : data_->total_weight());
  }
  return bound;
}

InnerObjective::InnerObjective(const data::Dataset& train, double theta, ObjectiveOptions options)
    : InnerObjective(train, L2Regularizer::uniform(train.features(), theta), options) {}

void InnerObjective::check_point(const Vector& v, const char* what) const {
  require(v.size() == dim(), std::string("InnerObjective: size of ") + what, v.size(),
          "must equal dim() = " + std::to_string(dim()));
}

void InnerObjective::evaluate(const Vector& w, LogisticState& state) const {
  check_point(w, "w");
  const Index n = samples();
  state.w = w;
  state.margins.resize(n);
  state.sigma_neg.resize(n);
  state.curvature.resize(n);
  state.residual.resize(n);
  const SparseMatrix& X = data_->X;
  const double* y = data_->y.data();
  const double* wp = state.w.data();
  const double bias = options_.fit_intercept ? w[features_] : 0.0;
  double* z = state.margins.data();
  double* p = state.sigma_neg.data();
  double* D = state.curvature.data();
  double* r = state.residual.data();
  const double* c = sample_weights();
  // Pass 1 over X: margins and every per-sample term, fused; partial sums per fixed chunk.
  const auto sums =
      sum_over_rows<2>(X, chunks_->rows, options_.num_threads, chunks_->unit_values, wp,
                       [&](Index i, double xw, std::array<double, 2>& acc) {
                         z[i] = y[i] * (xw + bias);
                         const LogisticTerms t = logistic_terms(z[i]);
                         const double ci = c != nullptr ? c[i] : 1.0;
                         acc[0] += ci * t.loss;
                         acc[1] += store_sample_terms(i, t.sigma_neg, t.curvature, ci, y, p, D, r);
                       });
  state.gradient.resize(dim());
  if (distributed()) {
    const Vector summed = reduced_transpose(state.residual, sums);
    state.loss = summed[features_];
    state.penalty = 0.5 * gradient_pass(state, summed[features_ + 1], nullptr, 0.0, nullptr,
                                        nullptr, summed.data());
  } else {
    state.loss = sums[0];
    state.penalty = 0.5 * gradient_pass(state, sums[1], nullptr, 0.0, nullptr, nullptr);
  }
  state.value = state.loss + state.penalty;
}

LogisticState InnerObjective::evaluate(const Vector& w) const {
  LogisticState state;
  evaluate(w, state);
  return state;
}

double InnerObjective::value(const Vector& w) const {
  check_point(w, "w");
  const SparseMatrix& X = data_->X;
  const double* y = data_->y.data();
  const double* wp = w.data();
  const double bias = options_.fit_intercept ? w[features_] : 0.0;
  const double* c = sample_weights();
  auto sums = sum_over_rows<1>(X, chunks_->rows, options_.num_threads, chunks_->unit_values, wp,
                               [&](Index i, double xw, std::array<double, 1>& acc) {
                                 const double ci = c != nullptr ? c[i] : 1.0;
                                 acc[0] += ci * softplus(-y[i] * (xw + bias));
                               });
  reduce(sums);
  return sums[0] + regularizer_.value(w);
}

double InnerObjective::gradient_pass(LogisticState& state, double residual_sum, const Vector* d,
                                     double alpha, Vector* step, Vector* gradient_change,
                                     const double* data_part) const {
  const SparseMatrix& Xt = data_->Xt;
  const double* r = state.residual.data();
  double* w = state.w.data();
  double* g = state.gradient.data();
  const double* dp = (d != nullptr) ? d->data() : nullptr;
  double* s = (step != nullptr) ? step->data() : nullptr;
  double* y = (gradient_change != nullptr) ? gradient_change->data() : nullptr;
  const double* weights = regularizer_.is_uniform() ? nullptr : regularizer_.weights().data();
  const double lambda = regularizer_.lambda()[0];
  // Per feature: the row of Xt against r (or its sum over the group, `data_part`), fused with
  // every O(d) update that touches feature j.
  const auto pass = [&](auto data_term) {
    return [&, data_term](Index begin, Index end, std::array<double, 2>& acc) {
      for (Index j = begin; j < end; ++j) {
        if (dp != nullptr) {
          const double sj = alpha * dp[j];
          w[j] += sj;
          if (s != nullptr) s[j] = sj;
        }
        const double lw = (weights != nullptr ? weights[j] : lambda) * w[j];
        const double gj = data_term(j) + lw;
        if (y != nullptr) y[j] = gj - g[j];
        g[j] = gj;
        acc[0] += gj * gj;
        acc[1] += lw * w[j];
      }
    };
  };
  const auto sums =
      data_part != nullptr
          ? linalg::sum_over_chunks<2>(chunks_->weights(distributed()), options_.num_threads,
                                       pass([data_part](Index j) { return data_part[j]; }))
          : linalg::with_unit_values(chunks_->unit_values, [&](auto unit) {
              return linalg::sum_over_chunks<2>(
                  chunks_->features, options_.num_threads, pass([&Xt, r](Index j) {
                    return linalg::row_dot<decltype(unit)::value>(Xt, j, r);
                  }));
            });
  double norm2 = sums[0];
  if (options_.fit_intercept) {
    const Index b = features_;
    if (dp != nullptr) {
      const double sb = alpha * dp[b];
      w[b] += sb;
      if (s != nullptr) s[b] = sb;
    }
    if (y != nullptr) y[b] = residual_sum - g[b];
    g[b] = residual_sum;
    norm2 += residual_sum * residual_sum;
  }
  // Σ g_j² loses gradients below ~1e-154 (their squares underflow) and overflows for entries
  // above ~1e154 while the gradient itself is finite: outside a safe range, rescale.
  state.gradient_norm =
      (norm2 > 1e-200 && norm2 < 1e200) ? std::sqrt(norm2) : state.gradient.stableNorm();
  return sums[1];
}

void InnerObjective::prepare_line(const LogisticState& state, const Vector& d,
                                  LineProbe& probe) const {
  check_point(d, "d");
  check_point(state.w, "state.w (evaluate the state first)");
  const Index n = samples();
  probe.trial_step = std::numeric_limits<double>::quiet_NaN();
  probe.margin_slope.resize(n);
  const SparseMatrix& X = data_->X;
  const double* y = data_->y.data();
  const double* dp = d.data();
  const double d_bias = options_.fit_intercept ? d[features_] : 0.0;
  const double* p = state.sigma_neg.data();
  double* u = probe.margin_slope.data();
  const double* c = sample_weights();
  // Pass over X: u = y∘(Xd + d_b), fused with the loss part of φ'(0) = −Σ c_i u_i σ(−z_i).
  auto sums = sum_over_rows<1>(X, chunks_->rows, options_.num_threads, chunks_->unit_values, dp,
                               [&](Index i, double xd, std::array<double, 1>& acc) {
                                 u[i] = y[i] * (xd + d_bias);
                                 acc[0] -= (c != nullptr ? c[i] : 1.0) * u[i] * p[i];
                               });
  reduce(sums);
  // One λ for every feature: read as a scalar (the same value as each entry of weights()).
  const double* weights = regularizer_.is_uniform() ? nullptr : regularizer_.weights().data();
  const double lambda = regularizer_.lambda()[0];
  const double* wp = state.w.data();
  const auto forms =
      linalg::sum_over_chunks<3>(chunks_->weights(distributed()), options_.num_threads,
                                 [&](Index begin, Index end, std::array<double, 3>& acc) {
                                   for (Index j = begin; j < end; ++j) {
                                     const double lj = weights != nullptr ? weights[j] : lambda;
                                     const double lw = lj * wp[j];
                                     acc[0] += lw * wp[j];
                                     acc[1] += lw * dp[j];
                                     acc[2] += lj * dp[j] * dp[j];
                                   }
                                 });
  probe.penalty_ww = forms[0];
  probe.penalty_wd = forms[1];
  probe.penalty_dd = forms[2];
  probe.value0 = state.loss + 0.5 * probe.penalty_ww;
  probe.slope0 = sums[0] + probe.penalty_wd;
}

LineValue InnerObjective::line_value(const LogisticState& state, LineProbe& probe,
                                     double alpha) const {
  const Index n = samples();
  const double* z = state.margins.data();
  const double* u = probe.margin_slope.data();
  const double* c = sample_weights();
  probe.trial_step =
      std::numeric_limits<double>::quiet_NaN();  // until the terms below are complete
  probe.trial_sigma_neg.resize(n);
  probe.trial_curvature.resize(n);
  double* ts = probe.trial_sigma_neg.data();
  double* tc = probe.trial_curvature.data();
  auto sums = linalg::sum_over_chunks<2>(
      chunks_->rows, options_.num_threads, [&](Index begin, Index end, std::array<double, 2>& acc) {
        for (Index i = begin; i < end; ++i) {
          const LogisticTerms t = logistic_terms(z[i] + alpha * u[i]);
          const double ci = c != nullptr ? c[i] : 1.0;
          ts[i] = t.sigma_neg;
          tc[i] = t.curvature;
          acc[0] += ci * t.loss;
          acc[1] -= ci * u[i] * t.sigma_neg;
        }
      });
  probe.trial_loss = sums[0];
  probe.trial_step = alpha;
  reduce(sums);
  const double penalty =
      0.5 * (probe.penalty_ww + alpha * (2.0 * probe.penalty_wd + alpha * probe.penalty_dd));
  const double slope_penalty = probe.penalty_wd + alpha * probe.penalty_dd;
  if (alpha == 0.0) return {probe.value0, sums[1] + slope_penalty};
  return {sums[0] + penalty, sums[1] + slope_penalty};
}

void InnerObjective::move(LogisticState& state, const Vector& d, const LineProbe& probe,
                          double alpha, Vector* step, Vector* gradient_change) const {
  check_point(d, "d");
  const Index n = samples();
  require(probe.margin_slope.size() == n, "InnerObjective::move: probe size",
          probe.margin_slope.size(), "prepare_line must be called first");
  require(state.gradient.size() == dim(), "InnerObjective::move: state size", state.gradient.size(),
          "evaluate the state first");
  if (step != nullptr) step->resize(dim());
  if (gradient_change != nullptr) gradient_change->resize(dim());
  const double* y = data_->y.data();
  const double* u = probe.margin_slope.data();
  double* z = state.margins.data();
  double* p = state.sigma_neg.data();
  double* D = state.curvature.data();
  double* r = state.residual.data();
  const double* c = sample_weights();
  // The terms at z + αu: those the line search computed at this α (bit for bit the same values,
  // and the same loss sum over the same chunks), else computed here.
  const bool tried = alpha == probe.trial_step && probe.trial_sigma_neg.size() == n &&
                     probe.trial_curvature.size() == n;
  const double* ts = probe.trial_sigma_neg.data();
  const double* tc = probe.trial_curvature.data();
  auto sums = linalg::sum_over_chunks<2>(
      chunks_->rows, options_.num_threads, [&](Index begin, Index end, std::array<double, 2>& acc) {
        for (Index i = begin; i < end; ++i) {
          z[i] += alpha * u[i];
          const double ci = c != nullptr ? c[i] : 1.0;
          if (tried) {
            acc[1] += store_sample_terms(i, ts[i], tc[i], ci, y, p, D, r);
          } else {
            const LogisticTerms t = logistic_terms(z[i]);
            acc[0] += ci * t.loss;
            acc[1] += store_sample_terms(i, t.sigma_neg, t.curvature, ci, y, p, D, r);
          }
        }
      });
  if (tried) sums[0] = probe.trial_loss;
  state.penalty =
      0.5 * (probe.penalty_ww + alpha * (2.0 * probe.penalty_wd + alpha * probe.penalty_dd));
  if (distributed()) {
    const Vector summed = reduced_transpose(state.residual, sums);
    state.loss = summed[features_];
    state.value = state.loss + state.penalty;
    (void)gradient_pass(state, summed[features_ + 1], &d, alpha, step, gradient_change,
                        summed.data());
    return;
  }
  state.loss = sums[0];
  state.value = state.loss + state.penalty;
  (void)gradient_pass(state, sums[1], &d, alpha, step, gradient_change);
}

void InnerObjective::hessian_vector(const LogisticState& state, const Vector& v, Vector& out,
                                    Vector* work) const {
  check_point(v, "v");
  require(state.curvature.size() == samples(), "InnerObjective::hessian_vector: state size",
          state.curvature.size(), "evaluate the state first");
  Vector local;
  Vector& q = (work != nullptr) ? *work : local;
  q.resize(samples());
  const SparseMatrix& X = data_->X;
  const double* vp = v.data();
  const double v_bias = options_.fit_intercept ? v[features_] : 0.0;
  const double* D = state.curvature.data();
  double* qp = q.data();
  // First pass: q = D∘(Xv + v_b) (y_i² = 1), fused with Σq for the intercept row.
  const auto sums = sum_over_rows<1>(X, chunks_->rows, options_.num_threads, chunks_->unit_values,
                                     vp, [&](Index i, double xv, std::array<double, 1>& acc) {
                                       qp[i] = D[i] * (xv + v_bias);
                                       acc[0] += qp[i];
                                     });
  transpose_pass(q, sums[0], v, out);
}

Eigen::MatrixXd InnerObjective::dense_hessian(const LogisticState& state) const {
  if (distributed()) {
    throw std::invalid_argument(
        "InnerObjective::dense_hessian: the rows are spread over processes; use hessian_vector");
  }
  require(state.curvature.size() == samples(), "InnerObjective::dense_hessian: state size",
          state.curvature.size(), "evaluate the state first");
  const Index d = dim();
  Eigen::MatrixXd H = Eigen::MatrixXd::Zero(d, d);
  const SparseMatrix& X = data_->X;
  const StorageIndex* row_ptr = X.outerIndexPtr();
  const StorageIndex* col = X.innerIndexPtr();
  const double* val = X.valuePtr();
  const double* D = state.curvature.data();
  // The lower triangle of XᵀDX, row by row: D_i x_ij x_ik added to H(k, j) for the features
  // j ≤ k of row i (its columns are sorted). Each entry sums its rows in increasing order; one
  // thread (H is small here, and the sweep is a fraction of a solve's).
  for (Index i = 0; i < samples(); ++i) {
    const StorageIndex end = row_ptr[i + 1];
    for (StorageIndex a = row_ptr[i]; a < end; ++a) {
      const double coefficient = D[i] * val[a];
      double* h = H.col(col[a]).data();
      for (StorageIndex k = a; k < end; ++k)
        h[col[k]] += coefficient * val[k];
    }
  }
  for (Index j = 0; j < features_; ++j) {
    for (Index k = j + 1; k < features_; ++k)
      H(j, k) = H(k, j);
  }
  for (Index j = 0; j < features_; ++j)
    H(j, j) += regularizer_.weights()[j];
  if (options_.fit_intercept) {
    const Index b = features_;
    double* h = H.col(b).data();
    for (Index i = 0; i < samples(); ++i) {
      for (StorageIndex k = row_ptr[i]; k < row_ptr[i + 1]; ++k)
        h[col[k]] += D[i] * val[k];
      h[b] += D[i];
    }
    H.row(b).head(features_) = H.col(b).head(features_).transpose();
  }
  return H;
}

double InnerObjective::dense_hessian_work() const {
  const StorageIndex* row_ptr = data_->X.outerIndexPtr();
  double work = 0.0;
  for (Index i = 0; i < samples(); ++i) {
    const double nnz = row_ptr[i + 1] - row_ptr[i];
    work += 0.5 * nnz * (nnz + 1.0) + (options_.fit_intercept ? nnz + 1.0 : 0.0);
  }
  return work;
}

void InnerObjective::gradient_change(const LogisticState& state, const Vector& e, Vector& out,
                                     Vector* work) const {
  check_point(e, "e");
  require(state.margins.size() == samples() && state.sigma_neg.size() == samples(),
          "InnerObjective::gradient_change: state size", state.margins.size(),
          "evaluate the state first");
  Vector local;
  Vector& q = (work != nullptr) ? *work : local;
  q.resize(samples());
  const SparseMatrix& X = data_->X;
  const double* y = data_->y.data();
  const double* ep = e.data();
  const double e_bias = options_.fit_intercept ? e[features_] : 0.0;
  const double* z = state.margins.data();
  const double* p = state.sigma_neg.data();
  double* qp = q.data();
  const double* c = sample_weights();
  // First pass: the residual change r_i(w + e) − r_i(w) = −c_i y_i (σ(−(z_i + u_i)) − σ(−z_i)) with
  // u_i = y_i (x_iᵀe + e_b), from the stored margins (w + e is never formed), fused with its sum.
  const auto sums = linalg::sum_over_chunks<1>(
      chunks_->rows, options_.num_threads, [&](Index begin, Index end, std::array<double, 1>& acc) {
        for (Index i = begin; i < end; ++i) {
          const double u = y[i] * (linalg::row_dot(X, i, ep) + e_bias);
          const double ci = c != nullptr ? c[i] : 1.0;
          qp[i] = -y[i] * ci * (logistic_terms(z[i] + u).sigma_neg - p[i]);
          acc[0] += qp[i];
        }
      });
  transpose_pass(q, sums[0], e, out);
}

void InnerObjective::transpose_pass(const Vector& q, double q_sum, const Vector& v,
                                    Vector& out) const {
  out.resize(dim());
  if (distributed()) {
    const Vector summed = reduced_transpose(q, std::span<const double>(&q_sum, 1));
    const double* t = summed.data();
    const double* vp = v.data();
    double* o = out.data();
    if (regularizer_.is_uniform()) {
      const double lambda = regularizer_.lambda()[0];
      for (Index j = 0; j < features_; ++j)
        o[j] = t[j] + lambda * vp[j];
    } else {
      const double* weights = regularizer_.weights().data();
      for (Index j = 0; j < features_; ++j)
        o[j] = t[j] + weights[j] * vp[j];
    }
    if (options_.fit_intercept) out[features_] = summed[features_];
    return;
  }
  const auto v_head = v.head(features_);
  auto out_head = out.head(features_);
  if (regularizer_.is_uniform()) {
    linalg::multiply_add_scaled(data_->Xt, q, regularizer_.lambda()[0], v_head, out_head,
                                options_.num_threads);
  } else {
    linalg::multiply_add_diagonal(data_->Xt, q, regularizer_.weights(), v_head, out_head,
                                  options_.num_threads);
  }
  if (options_.fit_intercept) out[features_] = q_sum;
}

}  // namespace shine::objective
