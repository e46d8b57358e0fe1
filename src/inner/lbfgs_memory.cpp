#include "shine/inner/lbfgs_memory.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "shine/core/check.hpp"
#include "shine/linalg/sparse_kernels.hpp"

namespace shine::inner {
namespace {

// Coordinates per parallel chunk of the sweeps: the chunk of every probe stays in L2 while the
// stored vectors stream past it once. The chunking is fixed, so results do not depend on threads.
constexpr Index kChunk = 8192;

using ConstMap = Eigen::Map<const Eigen::VectorXd>;
using Map = Eigen::Map<Eigen::VectorXd>;

// dots(p, j) = probes[p]ᵀ vectors[j]: partial products per fixed chunk, added in chunk order.
void sweep_dots(Index dim, int threads, const std::vector<const double*>& probes,
                const std::vector<const double*>& vectors, Eigen::MatrixXd& dots) {
  const auto np = static_cast<Index>(probes.size());
  const auto nv = static_cast<Index>(vectors.size());
  const auto chunks = linalg::RowChunks::uniform(dim, kChunk);
  std::vector<Eigen::MatrixXd> partial(static_cast<std::size_t>(chunks.count()));
  linalg::for_each_chunk(chunks, threads, [&](Index c, Index begin, Index end) {
    Eigen::MatrixXd& out = partial[static_cast<std::size_t>(c)];
    out.setZero(np, nv);
    const Index len = end - begin;
    for (Index j = 0; j < nv; ++j) {
      const ConstMap v(vectors[static_cast<std::size_t>(j)] + begin, len);
      for (Index p = 0; p < np; ++p) {
        out(p, j) = ConstMap(probes[static_cast<std::size_t>(p)] + begin, len).dot(v);
      }
    }
  });
  dots.setZero(np, nv);
  for (const auto& p : partial)
    dots += p;
}

// out = c0·v + Σ_j coeffs[j]·vectors[j], chunk by chunk (out may alias v).
void sweep_combine(Index dim, int threads, double c0, const double* v,
                   const std::vector<const double*>& vectors, const Eigen::VectorXd& coeffs,
                   double* out) {
  const auto chunks = linalg::RowChunks::uniform(dim, kChunk);
  linalg::for_each_chunk(chunks, threads, [&](Index, Index begin, Index end) {
    // Sub-blocks keep the output block in L1 while the vectors stream past.
    for (Index b = begin; b < end; b += 1024) {
      const Index len = std::min<Index>(1024, end - b);
      Map o(out + b, len);
      o = c0 * ConstMap(v + b, len);
      for (std::size_t j = 0; j < vectors.size(); ++j) {
        const double c = coeffs[static_cast<Index>(j)];
        if (c != 0.0) o += c * ConstMap(vectors[j] + b, len);
      }
    }
  });
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
  ++revision_;
}

void LbfgsMemory::set_num_threads(int num_threads) {
  require(num_threads >= 0, "LbfgsMemory num_threads", num_threads, "must be >= 0 (0 = all cores)");
  num_threads_ = num_threads;
}

std::vector<const double*> LbfgsMemory::pair_data() const {
  std::vector<const double*> data;
  data.reserve(static_cast<std::size_t>(2 * size_));
  for (int i = 0; i < size_; ++i) {
    data.push_back(s_[slot(i)].data());
    data.push_back(y_[slot(i)].data());
  }
  return data;
}

void LbfgsMemory::clear() noexcept {
  size_ = 0;
  head_ = 0;
  ++revision_;
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
  return store(s, y, nullptr, nullptr, nullptr, nullptr);
}

bool LbfgsMemory::add_pair(Vector&& s, Vector&& y) {
  return store(s, y, &s, &y, nullptr, nullptr);
}

bool LbfgsMemory::add_pair(const Vector& s, const Vector& y, const Vector& probe,
                           LbfgsProjection& projection) {
  return store(s, y, nullptr, nullptr, &probe, &projection);
}

bool LbfgsMemory::add_pair(Vector&& s, Vector&& y, const Vector& probe,
                           LbfgsProjection& projection) {
  return store(s, y, &s, &y, &probe, &projection);
}

bool LbfgsMemory::store(const Vector& s, const Vector& y, Vector* s_owned, Vector* y_owned,
                        const Vector* probe, LbfgsProjection* projection) {
  check_vector(s, "s");
  check_vector(y, "y");
  if (probe != nullptr) check_vector(*probe, "probe");
  const bool full = size_ == capacity_;
  const std::size_t target = full ? slot(0) : slot(size_);
  // One sweep: products of s, y (and the probe) with each other and with every stored pair.
  // Columns: s, y, then s_i, y_i chronologically (including the pair a full memory drops, which
  // the probe needs if the new pair is refused).
  std::vector<const double*> probes{s.data(), y.data()};
  if (probe != nullptr) probes.push_back(probe->data());
  std::vector<const double*> vectors{s.data(), y.data()};
  for (const double* v : pair_data())
    vectors.push_back(v);
  Eigen::MatrixXd dots;
  sweep_dots(dim_, num_threads_, probes, vectors, dots);
  const double ss = dots(0, 0);
  const double sy = dots(0, 1);
  const double yy = dots(1, 1);
  const bool accepted = std::isfinite(ss) && std::isfinite(sy) && std::isfinite(yy) &&
                        dots.topRows(2).allFinite() && sy > 0.0 &&
                        sy > curvature_epsilon_ * std::sqrt(ss) * std::sqrt(yy);
  const auto column_of = [](int i) { return static_cast<Index>(2 + 2 * i); };

  if (accepted) {
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
    for (int i = full ? 1 : 0; i < size_; ++i) {
      const auto j = static_cast<Index>(slot(i));
      const Index col = column_of(i);
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
    ++revision_;
  }
  if (probe != nullptr) {
    // The probe's products with the pairs as they are now, chronologically.
    projection->s_dots.resize(size_);
    projection->y_dots.resize(size_);
    const int dropped = (accepted && full) ? 1 : 0;
    const int old_pairs = accepted ? size_ - 1 : size_;
    for (int i = 0; i < old_pairs; ++i) {
      const Index col = column_of(i + dropped);
      projection->s_dots[i] = dots(2, col);
      projection->y_dots[i] = dots(2, col + 1);
    }
    if (accepted) {
      projection->s_dots[size_ - 1] = dots(2, 0);
      projection->y_dots[size_ - 1] = dots(2, 1);
    }
    projection->revision = revision_;
  }
  return accepted;
}

void LbfgsMemory::project(const Vector& v, LbfgsProjection& projection) const {
  check_vector(v, "v");
  Eigen::MatrixXd dots;
  sweep_dots(dim_, num_threads_, {v.data()}, pair_data(), dots);
  projection.s_dots.resize(size_);
  projection.y_dots.resize(size_);
  for (int i = 0; i < size_; ++i) {
    projection.s_dots[i] = dots(0, 2 * i);
    projection.y_dots[i] = dots(0, 2 * i + 1);
  }
  projection.revision = revision_;
}

void LbfgsMemory::apply_inverse(const Vector& v, Vector& out, double scale,
                                const LbfgsProjection* projection) const {
  check_vector(v, "v");
  if (size_ == 0) {
    out = scale * v;
    return;
  }
  const int k = size_;
  LbfgsProjection local;
  if (projection == nullptr || projection->revision != revision_ ||
      projection->s_dots.size() != k) {
    project(v, local);
    projection = &local;
  }
  const Eigen::VectorXd& sv = projection->s_dots;
  const Eigen::VectorXd& yv = projection->y_dots;
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
  Eigen::VectorXd coeffs(2 * k);
  for (int i = 0; i < k; ++i) {
    coeffs[2 * i] = scale * cs[i];
    coeffs[2 * i + 1] = scale * cy[i];
  }
  if (&out != &v) out.resize(dim_);
  sweep_combine(dim_, num_threads_, scale * g, v.data(), pair_data(), coeffs, out.data());
}

void LbfgsMemory::apply_hessian(const Vector& v, Vector& out) const {
  check_vector(v, "v");
  if (size_ == 0) {
    out = v;
    return;
  }
  const int k = size_;
  LbfgsProjection projection;
  project(v, projection);
  const Eigen::VectorXd& sv = projection.s_dots;
  const Eigen::VectorXd& yv = projection.y_dots;
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
  Eigen::VectorXd coeffs(2 * k);
  for (int i = 0; i < k; ++i) {
    coeffs[2 * i] = -sigma * p[i];
    coeffs[2 * i + 1] = -p[k + i];
  }
  if (&out != &v) out.resize(dim_);
  sweep_combine(dim_, num_threads_, sigma, v.data(), pair_data(), coeffs, out.data());
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
