#include "shine/inner/lbfgs_memory.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "shine/core/check.hpp"

namespace shine::inner {
namespace {

// Coordinates per block of the fused sweeps: the block of every probe stays in L1 while the
// stored vectors stream past it once.
constexpr Index kBlock = 1024;

using ConstMap = Eigen::Map<const Eigen::VectorXd>;
using Map = Eigen::Map<Eigen::VectorXd>;

// dots(p, j) = probes[p]ᵀ vectors[j], accumulated block by block in a fixed order.
void sweep_dots(Index dim, const std::vector<const double*>& probes,
                const std::vector<const double*>& vectors, Eigen::MatrixXd& dots) {
  const auto np = static_cast<Index>(probes.size());
  const auto nv = static_cast<Index>(vectors.size());
  dots.setZero(np, nv);
  for (Index b = 0; b < dim; b += kBlock) {
    const Index len = std::min(kBlock, dim - b);
    for (Index j = 0; j < nv; ++j) {
      const ConstMap v(vectors[static_cast<std::size_t>(j)] + b, len);
      for (Index p = 0; p < np; ++p) {
        dots(p, j) += ConstMap(probes[static_cast<std::size_t>(p)] + b, len).dot(v);
      }
    }
  }
}

// out = c0·v + Σ_j coeffs[j]·vectors[j], block by block (out may alias v).
void sweep_combine(Index dim, double c0, const double* v, const std::vector<const double*>& vectors,
                   const Eigen::VectorXd& coeffs, double* out) {
  for (Index b = 0; b < dim; b += kBlock) {
    const Index len = std::min(kBlock, dim - b);
    Map o(out + b, len);
    o = c0 * ConstMap(v + b, len);
    for (std::size_t j = 0; j < vectors.size(); ++j) {
      const double c = coeffs[static_cast<Index>(j)];
      if (c != 0.0) o += c * ConstMap(vectors[j] + b, len);
    }
  }
}

}  // namespace

LbfgsMemory::LbfgsMemory(Index dim, int capacity, InitialHessian initial_hessian,
                         double curvature_epsilon)
    : dim_(dim), capacity_(capacity), initial_hessian_(initial_hessian) {
  require(dim >= 0, "LbfgsMemory dim", dim, "must be >= 0");
  require(capacity >= 1, "LbfgsMemory capacity", capacity, "must be >= 1");
  set_curvature_epsilon(curvature_epsilon);
  s_.resize(static_cast<std::size_t>(capacity_));
  y_.resize(static_cast<std::size_t>(capacity_));
  ss_.setZero(capacity_, capacity_);
  sy_.setZero(capacity_, capacity_);
  yy_.setZero(capacity_, capacity_);
}

void LbfgsMemory::set_curvature_epsilon(double epsilon) {
  require(epsilon >= 0.0 && epsilon < 1.0, "LbfgsMemory curvature_epsilon", epsilon,
          "must be in [0, 1)");
  curvature_epsilon_ = epsilon;
}

void LbfgsMemory::set_capacity(int capacity) {
  require(capacity >= 1, "LbfgsMemory capacity", capacity, "must be >= 1");
  if (capacity == capacity_ && static_cast<int>(s_.size()) == capacity_) return;
  const int keep = std::min(size_, capacity);
  const int first = size_ - keep;  // chronological index of the oldest kept pair
  std::vector<Vector> s(static_cast<std::size_t>(capacity));
  std::vector<Vector> y(static_cast<std::size_t>(capacity));
  Eigen::MatrixXd ss = Eigen::MatrixXd::Zero(capacity, capacity);
  Eigen::MatrixXd sy = Eigen::MatrixXd::Zero(capacity, capacity);
  Eigen::MatrixXd yy = Eigen::MatrixXd::Zero(capacity, capacity);
  for (int a = 0; a < keep; ++a) {
    const std::size_t from_a = slot(first + a);
    s[static_cast<std::size_t>(a)] = std::move(s_[from_a]);
    y[static_cast<std::size_t>(a)] = std::move(y_[from_a]);
    for (int b = 0; b < keep; ++b) {
      const auto from_b = static_cast<Index>(slot(first + b));
      const auto fa = static_cast<Index>(from_a);
      ss(a, b) = ss_(fa, from_b);
      sy(a, b) = sy_(fa, from_b);
      yy(a, b) = yy_(fa, from_b);
    }
  }
  s_ = std::move(s);
  y_ = std::move(y);
  ss_ = std::move(ss);
  sy_ = std::move(sy);
  yy_ = std::move(yy);
  capacity_ = capacity;
  size_ = keep;
  head_ = 0;
}

void LbfgsMemory::clear() noexcept {
  size_ = 0;
  head_ = 0;
}

double LbfgsMemory::gamma() const noexcept {
  if (size_ == 0 || initial_hessian_ == InitialHessian::Identity) return 1.0;
  const auto newest = static_cast<Index>(slot(size_ - 1));
  return sy_(newest, newest) / yy_(newest, newest);
}

void LbfgsMemory::check_vector(const Vector& v, const char* what) const {
  require(v.size() == dim_ && dim_ > 0, std::string("LbfgsMemory: size of ") + what, v.size(),
          "must equal the memory's dimension " + std::to_string(dim_) + " (> 0)");
}

bool LbfgsMemory::add_pair(const Vector& s, const Vector& y) {
  return store(s, y, nullptr, nullptr);
}

bool LbfgsMemory::add_pair(Vector&& s, Vector&& y) {
  return store(s, y, &s, &y);
}

bool LbfgsMemory::store(const Vector& s, const Vector& y, Vector* s_owned, Vector* y_owned) {
  check_vector(s, "s");
  check_vector(y, "y");
  const bool full = size_ == capacity_;
  const std::size_t target = full ? slot(0) : slot(size_);
  // One sweep: products of s and y with each other and with every pair that stays.
  std::vector<const double*> probes{s.data(), y.data()};
  std::vector<const double*> vectors{s.data(), y.data()};
  std::vector<std::size_t> kept;
  for (int i = 0; i < size_; ++i) {
    const std::size_t sl = slot(i);
    if (sl == target) continue;
    kept.push_back(sl);
    vectors.push_back(s_[sl].data());
    vectors.push_back(y_[sl].data());
  }
  Eigen::MatrixXd dots;
  sweep_dots(dim_, probes, vectors, dots);
  const double ss = dots(0, 0);
  const double sy = dots(0, 1);
  const double yy = dots(1, 1);
  if (!std::isfinite(ss) || !std::isfinite(sy) || !std::isfinite(yy) || !dots.allFinite()) {
    return false;
  }
  if (!(sy > 0.0) || !(sy > curvature_epsilon_ * std::sqrt(ss) * std::sqrt(yy))) return false;

  if (s_owned != nullptr && y_owned != nullptr) {
    // Hand the storage of the slot being reused back to the caller: no allocation per pair.
    std::swap(s_[target], *s_owned);
    std::swap(y_[target], *y_owned);
  } else {
    s_[target] = s;
    y_[target] = y;
  }
  const auto t = static_cast<Index>(target);
  ss_(t, t) = ss;
  sy_(t, t) = sy;
  yy_(t, t) = yy;
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const auto j = static_cast<Index>(kept[k]);
    const Index col = 2 + 2 * static_cast<Index>(k);
    ss_(t, j) = ss_(j, t) = dots(0, col);      // s·s_j
    sy_(t, j) = dots(0, col + 1);              // s·y_j
    sy_(j, t) = dots(1, col);                  // s_j·y
    yy_(t, j) = yy_(j, t) = dots(1, col + 1);  // y·y_j
  }
  if (full) {
    head_ = (head_ + 1) % capacity_;
  } else {
    ++size_;
  }
  return true;
}

void LbfgsMemory::project(const Vector& probe, Eigen::VectorXd& s_dots,
                          Eigen::VectorXd& y_dots) const {
  std::vector<const double*> vectors;
  vectors.reserve(static_cast<std::size_t>(2 * size_));
  for (int i = 0; i < size_; ++i) {
    vectors.push_back(s_[slot(i)].data());
    vectors.push_back(y_[slot(i)].data());
  }
  Eigen::MatrixXd dots;
  sweep_dots(dim_, {probe.data()}, vectors, dots);
  s_dots.resize(size_);
  y_dots.resize(size_);
  for (int i = 0; i < size_; ++i) {
    s_dots[i] = dots(0, 2 * i);
    y_dots[i] = dots(0, 2 * i + 1);
  }
}

void LbfgsMemory::apply_inverse(const Vector& v, Vector& out) const {
  check_vector(v, "v");
  if (size_ == 0) {
    out = v;
    return;
  }
  const int k = size_;
  Eigen::VectorXd sv;
  Eigen::VectorXd yv;
  project(v, sv, yv);
  // Chronological copies of the Gram blocks used below.
  Eigen::MatrixXd SY(k, k);
  Eigen::MatrixXd YY(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) {
      SY(i, j) = sy_(static_cast<Index>(slot(i)), static_cast<Index>(slot(j)));
      YY(i, j) = yy_(static_cast<Index>(slot(i)), static_cast<Index>(slot(j)));
    }
  }
  // The two-loop recursion on coefficients: q = v + Σ cy_j y_j, then r = γq + Σ cs_j s_j, so
  // that every product s_iᵀq and y_iᵀr comes from the Gram matrix (Nocedal & Wright Alg. 7.4).
  Eigen::VectorXd alpha(k);
  Eigen::VectorXd cy = Eigen::VectorXd::Zero(k);
  Eigen::VectorXd cs = Eigen::VectorXd::Zero(k);
  for (int i = k - 1; i >= 0; --i) {
    const double sq = sv[i] + SY.row(i).dot(cy);
    alpha[i] = sq / SY(i, i);
    cy[i] -= alpha[i];
  }
  const double g = gamma();
  cy *= g;
  for (int i = 0; i < k; ++i) {
    // y_iᵀr = γ y_iᵀv + Σ_j cy_j y_iᵀy_j + Σ_j cs_j y_iᵀs_j
    const double yr = g * yv[i] + YY.row(i).dot(cy) + SY.col(i).dot(cs);
    const double beta = yr / SY(i, i);
    cs[i] += alpha[i] - beta;
  }
  std::vector<const double*> vectors;
  Eigen::VectorXd coeffs(2 * k);
  for (int i = 0; i < k; ++i) {
    vectors.push_back(s_[slot(i)].data());
    vectors.push_back(y_[slot(i)].data());
    coeffs[2 * i] = cs[i];
    coeffs[2 * i + 1] = cy[i];
  }
  if (&out != &v) out.resize(dim_);
  sweep_combine(dim_, g, v.data(), vectors, coeffs, out.data());
}

void LbfgsMemory::apply_hessian(const Vector& v, Vector& out) const {
  check_vector(v, "v");
  if (size_ == 0) {
    out = v;
    return;
  }
  const int k = size_;
  Eigen::VectorXd sv;
  Eigen::VectorXd yv;
  project(v, sv, yv);
  const double sigma = 1.0 / gamma();
  // M = [[σSᵀS, L], [Lᵀ, −D]] (chronological), rhs = [σSᵀv; Yᵀv].
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(2 * k, 2 * k);
  for (int i = 0; i < k; ++i) {
    const auto si = static_cast<Index>(slot(i));
    for (int j = 0; j < k; ++j) {
      const auto sj = static_cast<Index>(slot(j));
      M(i, j) = sigma * ss_(si, sj);
      if (i > j) {
        M(i, k + j) = sy_(si, sj);
        M(k + j, i) = sy_(si, sj);
      }
    }
    M(k + i, k + i) = -sy_(si, si);
  }
  Eigen::VectorXd rhs(2 * k);
  rhs.head(k) = sigma * sv;
  rhs.tail(k) = yv;
  const Eigen::VectorXd p = M.fullPivLu().solve(rhs);
  std::vector<const double*> vectors;
  Eigen::VectorXd coeffs(2 * k);
  for (int i = 0; i < k; ++i) {
    vectors.push_back(s_[slot(i)].data());
    vectors.push_back(y_[slot(i)].data());
    coeffs[2 * i] = -sigma * p[i];
    coeffs[2 * i + 1] = -p[k + i];
  }
  if (&out != &v) out.resize(dim_);
  sweep_combine(dim_, sigma, v.data(), vectors, coeffs, out.data());
}

void LbfgsMemory::apply_add(const Vector& x, Vector& y) const {
  require(y.size() == dim_, "LbfgsMemory::apply_add size of y", y.size(),
          "must equal the memory's dimension " + std::to_string(dim_));
  Vector product;
  apply_inverse(x, product);
  y += product;
}

void LbfgsHessianView::apply_add(const Vector& x, Vector& y) const {
  require(y.size() == memory_->dim(), "LbfgsHessianView::apply_add size of y", y.size(),
          "must equal the memory's dimension " + std::to_string(memory_->dim()));
  Vector product;
  memory_->apply_hessian(x, product);
  y += product;
}

}  // namespace shine::inner
