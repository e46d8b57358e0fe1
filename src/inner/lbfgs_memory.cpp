#include "shine/inner/lbfgs_memory.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "shine/core/check.hpp"
#include "shine/linalg/sparse_kernels.hpp"

namespace shine::inner {
namespace {

// Coordinates per parallel chunk of the sweeps: the chunk of every operand used repeatedly stays
// in L2 while the stored vectors stream past once. The chunking is fixed, so results do not
// depend on the number of threads.
constexpr Index kChunk = 8192;

using ConstMap = Eigen::Map<const Eigen::VectorXd>;
using Map = Eigen::Map<Eigen::VectorXd>;

// How an operand of a sweep is weighted by the diagonal Δ: x, Δ∘x or x/Δ (entrywise).
enum class Weight { None, Diagonal, Inverse };

// A batch of dot products over the d coordinates, computed in one sweep: operands are d-vectors
// (optionally weighted by Δ, materialized chunk by chunk), products are pairs of operands.
struct DotPlan {
  std::vector<const double*> data;
  std::vector<Weight> weight;
  std::vector<std::pair<int, int>> products;

  int operand(const double* v, Weight w = Weight::None) {
    data.push_back(v);
    weight.push_back(w);
    return static_cast<int>(data.size()) - 1;
  }
  int product(int a, int b) {
    products.emplace_back(a, b);
    return static_cast<int>(products.size()) - 1;
  }
};

// Runs a plan: partial products per fixed chunk, added in chunk order.
Eigen::VectorXd run_plan(Index dim, int threads, const Vector& delta, const DotPlan& plan) {
  const auto chunks = linalg::RowChunks::uniform(dim, kChunk);
  const auto np = static_cast<Index>(plan.products.size());
  std::vector<Eigen::VectorXd> partial(static_cast<std::size_t>(chunks.count()));
  const bool has_delta = delta.size() > 0;
  linalg::for_each_chunk(chunks, threads, [&](Index c, Index begin, Index end) {
    const Index len = end - begin;
    // Pointers to this chunk of every operand, weighted ones copied into local buffers.
    std::vector<const double*> ptr(plan.data.size());
    std::vector<Eigen::VectorXd> local;
    local.reserve(plan.data.size());
    for (std::size_t o = 0; o < plan.data.size(); ++o) {
      const ConstMap x(plan.data[o] + begin, len);
      if (!has_delta || plan.weight[o] == Weight::None) {
        ptr[o] = plan.data[o] + begin;
        continue;
      }
      const ConstMap dl(delta.data() + begin, len);
      if (plan.weight[o] == Weight::Diagonal) {
        local.emplace_back(x.cwiseProduct(dl));
      } else {
        local.emplace_back(x.cwiseQuotient(dl));
      }
      ptr[o] = local.back().data();
    }
    Eigen::VectorXd& out = partial[static_cast<std::size_t>(c)];
    out.resize(np);
    for (Index k = 0; k < np; ++k) {
      const auto [a, b] = plan.products[static_cast<std::size_t>(k)];
      out[k] = ConstMap(ptr[static_cast<std::size_t>(a)], len)
                   .dot(ConstMap(ptr[static_cast<std::size_t>(b)], len));
    }
  });
  Eigen::VectorXd total = Eigen::VectorXd::Zero(np);
  for (const auto& p : partial)
    total += p;
  return total;
}

// out = W∘(a0·v + Σ_i ca_i·A_i) + Σ_i cb_i·B_i with W = Δ, 1/Δ or 1 (`weight`; 1 when Δ is
// empty), chunk by chunk. `out` may alias `v`.
void sweep_combine(Index dim, int threads, const Vector& delta, Weight weight, double a0,
                   const double* v, const std::vector<const double*>& A, const Eigen::VectorXd& ca,
                   const std::vector<const double*>& B, const Eigen::VectorXd& cb, double* out) {
  const auto chunks = linalg::RowChunks::uniform(dim, kChunk);
  const bool weighted = delta.size() > 0 && weight != Weight::None;
  linalg::for_each_chunk(chunks, threads, [&](Index, Index begin, Index end) {
    // Sub-blocks keep the output block in L1 while the vectors stream past.
    for (Index b = begin; b < end; b += 1024) {
      const Index len = std::min<Index>(1024, end - b);
      Map o(out + b, len);
      o = a0 * ConstMap(v + b, len);
      for (std::size_t i = 0; i < A.size(); ++i) {
        const double c = ca[static_cast<Index>(i)];
        if (c != 0.0) o += c * ConstMap(A[i] + b, len);
      }
      if (weighted) {
        const ConstMap dl(delta.data() + b, len);
        if (weight == Weight::Diagonal) {
          o = o.cwiseProduct(dl);
        } else {
          o = o.cwiseQuotient(dl);
        }
      }
      for (std::size_t i = 0; i < B.size(); ++i) {
        const double c = cb[static_cast<Index>(i)];
        if (c != 0.0) o += c * ConstMap(B[i] + b, len);
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

void LbfgsMemory::set_diagonal(const Vector& diagonal) {
  if (diagonal.size() > 0) {
    require(diagonal.size() == dim_, "LbfgsMemory::set_diagonal size", diagonal.size(),
            "must equal the memory's dimension " + std::to_string(dim_));
    for (Index j = 0; j < diagonal.size(); ++j) {
      require(std::isfinite(diagonal[j]) && diagonal[j] > 0.0,
              "LbfgsMemory::set_diagonal entry " + std::to_string(j), diagonal[j],
              "must be finite and > 0");
    }
  }
  diagonal_ = diagonal;
  recompute_weighted_gram();
  ++revision_;
}

void LbfgsMemory::recompute_weighted_gram() {
  if (size_ == 0) return;
  DotPlan plan;
  std::vector<int> plain;
  std::vector<int> weighted;
  for (int i = 0; i < size_; ++i) {
    plain.push_back(plan.operand(y_[slot(i)].data()));
    weighted.push_back(plan.operand(y_[slot(i)].data(), Weight::Diagonal));
  }
  std::vector<int> index;
  for (int a = 0; a < size_; ++a) {
    for (int b = a; b < size_; ++b) {
      index.push_back(
          plan.product(weighted[static_cast<std::size_t>(a)], plain[static_cast<std::size_t>(b)]));
    }
  }
  const Eigen::VectorXd dots = run_plan(dim_, num_threads_, diagonal_, plan);
  std::size_t k = 0;
  for (int a = 0; a < size_; ++a) {
    for (int b = a; b < size_; ++b) {
      const auto sa = static_cast<Index>(slot(a));
      const auto sb = static_cast<Index>(slot(b));
      yy_(sa, sb) = yy_(sb, sa) = dots[index[k++]];
    }
  }
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

  // One sweep for every product the update needs: the new pair with itself and with the stored
  // pairs, and the probe (the new gradient) with all of them, including the pair a full memory
  // drops (the probe needs it if the new pair is refused).
  DotPlan plan;
  const int os = plan.operand(s.data());
  const int oy = plan.operand(y.data());
  const int ody = plan.operand(y.data(), Weight::Diagonal);
  const int p_ss = plan.product(os, os);
  const int p_sy = plan.product(os, oy);
  const int p_yy = plan.product(oy, oy);
  const int p_ydy = plan.product(ody, oy);
  std::vector<int> p_s_si;
  std::vector<int> p_s_yi;
  std::vector<int> p_y_si;
  std::vector<int> p_dy_yi;
  std::vector<int> p_g_si;
  std::vector<int> p_dg_yi;
  int og = -1;
  int odg = -1;
  int p_g_s = -1;
  int p_dg_y = -1;
  if (probe != nullptr) {
    og = plan.operand(probe->data());
    odg = plan.operand(probe->data(), Weight::Diagonal);
    p_g_s = plan.product(og, os);
    p_dg_y = plan.product(odg, oy);
  }
  for (int i = 0; i < size_; ++i) {
    const int osi = plan.operand(s_[slot(i)].data());
    const int oyi = plan.operand(y_[slot(i)].data());
    p_s_si.push_back(plan.product(os, osi));
    p_s_yi.push_back(plan.product(os, oyi));
    p_y_si.push_back(plan.product(oy, osi));
    p_dy_yi.push_back(plan.product(ody, oyi));
    if (probe != nullptr) {
      p_g_si.push_back(plan.product(og, osi));
      p_dg_yi.push_back(plan.product(odg, oyi));
    }
  }
  const Eigen::VectorXd dots = run_plan(dim_, num_threads_, diagonal_, plan);
  const double ss = dots[p_ss];
  const double sy = dots[p_sy];
  const double yy = dots[p_yy];
  const bool accepted = dots.allFinite() && sy > 0.0 && dots[p_ydy] > 0.0 &&
                        sy > curvature_epsilon_ * std::sqrt(ss) * std::sqrt(yy);
  const auto at = [](const std::vector<int>& v, int i) { return v[static_cast<std::size_t>(i)]; };

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
    yy_(t, t) = dots[p_ydy];
    for (int i = full ? 1 : 0; i < size_; ++i) {
      const auto j = static_cast<Index>(slot(i));
      ss_(t, j) = ss_(j, t) = dots[at(p_s_si, i)];
      sy_(t, j) = dots[at(p_s_yi, i)];
      sy_(j, t) = dots[at(p_y_si, i)];
      yy_(t, j) = yy_(j, t) = dots[at(p_dy_yi, i)];
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
      projection->s_dots[i] = dots[at(p_g_si, i + dropped)];
      projection->y_dots[i] = dots[at(p_dg_yi, i + dropped)];
    }
    if (accepted) {
      projection->s_dots[size_ - 1] = dots[p_g_s];
      projection->y_dots[size_ - 1] = dots[p_dg_y];
    }
    projection->revision = revision_;
  }
  return accepted;
}

void LbfgsMemory::project(const Vector& v, LbfgsProjection& projection) const {
  check_vector(v, "v");
  DotPlan plan;
  const int ov = plan.operand(v.data());
  const int odv = plan.operand(v.data(), Weight::Diagonal);
  for (int i = 0; i < size_; ++i) {
    plan.product(ov, plan.operand(s_[slot(i)].data()));
    plan.product(odv, plan.operand(y_[slot(i)].data()));
  }
  const Eigen::VectorXd dots = run_plan(dim_, num_threads_, diagonal_, plan);
  projection.s_dots.resize(size_);
  projection.y_dots.resize(size_);
  for (int i = 0; i < size_; ++i) {
    projection.s_dots[i] = dots[2 * i];
    projection.y_dots[i] = dots[2 * i + 1];
  }
  projection.revision = revision_;
}

void LbfgsMemory::apply_inverse(const Vector& v, Vector& out, double scale,
                                const LbfgsProjection* projection) const {
  check_vector(v, "v");
  if (size_ == 0) {
    if (diagonal_.size() > 0) {
      out = scale * diagonal_.cwiseProduct(v);
    } else {
      out = scale * v;
    }
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
  // The two-loop recursion (Nocedal & Wright Alg. 7.4) on coefficients: q = v + Σ cy_j y_j,
  // then r = γΔq + Σ cs_j s_j, so that every product s_iᵀq and y_iᵀr comes from the Gram matrix
  // and the projection of v.
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
    // y_iᵀr = γ y_iᵀΔv + Σ_j cy_j y_iᵀΔy_j + Σ_j cs_j y_iᵀs_j
    const double yr = g * yv[i] + YY.row(i).dot(cy) + SY.col(i).dot(cs);
    const double beta = yr / SY(i, i);
    cs[i] += alpha[i] - beta;
  }
  std::vector<const double*> S;
  std::vector<const double*> Y;
  for (int i = 0; i < k; ++i) {
    S.push_back(s_[slot(i)].data());
    Y.push_back(y_[slot(i)].data());
  }
  if (&out != &v) out.resize(dim_);
  // r = Δ(γv + Σ cy_j y_j) + Σ cs_j s_j, times `scale`.
  sweep_combine(dim_, num_threads_, diagonal_, Weight::Diagonal, scale * g, v.data(), Y, scale * cy,
                S, scale * cs, out.data());
}

void LbfgsMemory::apply_hessian(const Vector& v, Vector& out) const {
  check_vector(v, "v");
  if (size_ == 0) {
    if (diagonal_.size() > 0) {
      out = v.cwiseQuotient(diagonal_);
    } else {
      out = v;
    }
    return;
  }
  const int k = size_;
  const double sigma = 1.0 / gamma();
  // B₀ = σΔ⁻¹. Products: s_iᵀΔ⁻¹s_j (the Gram's plain SᵀS when Δ = I), s_iᵀΔ⁻¹v, y_iᵀv.
  DotPlan plan;
  const int ov = plan.operand(v.data());
  const int oiv = plan.operand(v.data(), Weight::Inverse);
  std::vector<int> os;
  std::vector<int> ois;
  for (int i = 0; i < k; ++i) {
    os.push_back(plan.operand(s_[slot(i)].data()));
    ois.push_back(plan.operand(s_[slot(i)].data(), Weight::Inverse));
  }
  std::vector<int> p_sv;
  std::vector<int> p_yv;
  for (int i = 0; i < k; ++i) {
    p_sv.push_back(plan.product(oiv, os[static_cast<std::size_t>(i)]));
    p_yv.push_back(plan.product(ov, plan.operand(y_[slot(i)].data())));
  }
  Eigen::MatrixXd SBS(k, k);
  std::vector<std::pair<int, int>> pending;
  if (diagonal_.size() > 0) {
    for (int i = 0; i < k; ++i) {
      for (int j = i; j < k; ++j) {
        pending.emplace_back(
            plan.product(ois[static_cast<std::size_t>(i)], os[static_cast<std::size_t>(j)]),
            i * k + j);
      }
    }
  }
  const Eigen::VectorXd dots = run_plan(dim_, num_threads_, diagonal_, plan);
  if (diagonal_.size() > 0) {
    for (const auto& [index, ij] : pending) {
      SBS(ij / k, ij % k) = SBS(ij % k, ij / k) = dots[index];
    }
  } else {
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        SBS(i, j) = ss_(static_cast<Index>(slot(i)), static_cast<Index>(slot(j)));
      }
    }
  }
  // M = [[σSᵀΔ⁻¹S, L], [Lᵀ, −D]] (chronological), rhs = [σSᵀΔ⁻¹v; Yᵀv].
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(2 * k, 2 * k);
  Eigen::VectorXd rhs(2 * k);
  for (int i = 0; i < k; ++i) {
    const auto si = static_cast<Index>(slot(i));
    for (int j = 0; j < k; ++j) {
      M(i, j) = sigma * SBS(i, j);
      if (i > j) {
        const auto sj = static_cast<Index>(slot(j));
        M(i, k + j) = sy_(si, sj);
        M(k + j, i) = sy_(si, sj);
      }
    }
    M(k + i, k + i) = -sy_(si, si);
    rhs[i] = sigma * dots[p_sv[static_cast<std::size_t>(i)]];
    rhs[k + i] = dots[p_yv[static_cast<std::size_t>(i)]];
  }
  const Eigen::VectorXd p = M.fullPivLu().solve(rhs);
  std::vector<const double*> S;
  std::vector<const double*> Y;
  for (int i = 0; i < k; ++i) {
    S.push_back(s_[slot(i)].data());
    Y.push_back(y_[slot(i)].data());
  }
  if (&out != &v) out.resize(dim_);
  // B v = Δ⁻¹(σv − σ Σ p_i s_i) − Σ p_{k+i} y_i.
  sweep_combine(dim_, num_threads_, diagonal_, Weight::Inverse, sigma, v.data(), S,
                -sigma * p.head(k), Y, -p.tail(k), out.data());
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
