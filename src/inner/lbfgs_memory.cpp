// The L-BFGS memory (lbfgs_memory.hpp): the stored pairs, their Gram matrix, and B⁻¹ applied by
// the vector-free two-loop recursion.
//
// Sources. B⁻¹v is the two-loop recursion of Nocedal & Wright, Numerical Optimization, 2nd ed.
// (Springer, 2006), Algorithm 7.4, with H₀ = γΔ and γ = s_{k−1}ᵀy_{k−1} / y_{k−1}ᵀΔy_{k−1} (their
// choice (7.20) when Δ = I). It is organized as the vector-free L-BFGS (VL-BFGS) of Chen, Wang &
// Zhou, "Large-scale L-BFGS using MapReduce", Advances in Neural Information Processing Systems 27
// (NIPS 2014): every vector the recursion forms is a linear combination of the basis
// {v, s_0 … s_{k−1}, y_0 … y_{k−1}}, so the recursion runs on the 2k + 1 coefficients alone and
// takes each inner product it needs from dot products between basis vectors; the d-vectors are
// read only to compute those dot products and to form the final combination (apply_inverse maps
// the coefficients to the textbook's α_i, β_i, ρ_i, γ). Two departures from the paper: only the
// products the recursion reads are kept (s_iᵀy_j, y_iᵀΔy_j and the projection s_iᵀv, y_iᵀΔv; the
// paper's table holds the products of every two basis vectors, s_iᵀs_j and vᵀv included), and the
// products of y_i with y_j and v carry Δ, because H₀ = γΔ puts Δ in front of the v and y parts of
// the direction (the paper has Δ = I).
//
// State and invariants:
// - Chronological index i (0 oldest … size_ − 1 newest) ↔ storage slot slot(i) = (head_ + i) mod
//   capacity_. The pairs and the Gram matrices are indexed by slot; a full memory stores a new
//   pair in the oldest pair's slot and advances head_.
// - For every two stored slots a, b with a older than or as old as b: sy_(a, b) = s_aᵀy_b (the
//   diagonal is s_aᵀy_a = 1/ρ_a > 0), and yy_(a, b) = yy_(b, a) = y_aᵀΔy_b, products of the pairs
//   as stored (rounded with single- or half-precision storage). s_bᵀy_a with b newer than a is
//   not computed: the recursion never needs it (see apply_inverse), and its entry of sy_ is 0.
//   Rows and columns of slots without a pair are stale and never read. add_pair fills the new
//   pair's column of sy_ and its row and column of yy_ from the one sweep that reads the pairs
//   that stay; nothing else changes them except set_diagonal (recomputes yy_), set_pair_precision
//   to Single or Half (recomputes both) and set_capacity (copies them to new slots).
// - revision_ changes whenever the pairs or their products change (add, clear, capacity,
//   precision, Δ). A projection is used only when stamped with the current revision; γ is read at
//   each application and enters no stored product, so set_initial_hessian needs no new revision.
// - Every product over a chunk is summed the same way, whatever sweep computes it (see the dot
//   kernels), so incremental and recomputed Gram entries are the same bits.
// Per application nothing of the Gram matrix is recomputed: apply_inverse needs the projection of
// v (2k products, one sweep; none when add_pair computed it for the probe), O(k²) scalar work and
// one sweep forming the combination.

#include "shine/inner/lbfgs_memory.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "core/check.hpp"
#include "inner/lbfgs_kernels.hpp"
#include "linalg/row_kernels.hpp"

namespace shine::inner {
namespace {

// Marks a loop whose iterations do not depend on each other, so that GCC vectorizes it without
// checking for overlap (Clang vectorizes such loops with a run-time overlap check of its own).
#if defined(__GNUC__) && !defined(__clang__)
#define SHINE_NO_LOOP_DEPENDENCE _Pragma("GCC ivdep")
#else
#define SHINE_NO_LOOP_DEPENDENCE
#endif

// Coordinates per chunk of the sweeps: the chunk of every operand used repeatedly (the new pair,
// the probe) stays in L2 while the stored vectors stream past once. The chunking is fixed, so
// results do not depend on the number of threads.
constexpr Index kChunk = 8192;
// Coordinates per block of the combination sweep: the output block stays in L1 while the stored
// vectors stream past.
constexpr Index kCombineBlock = 1024;

template <typename T>
using VectorT = Eigen::Matrix<T, Eigen::Dynamic, 1>;
using kernels::Half;

// How an operand of a sweep is weighted by the diagonal Δ: x or Δ∘x (entrywise).
enum class Weight { None, Diagonal };

// A stored vector (or the new pair as it will be stored) as the sweeps read it: its entries of
// type T and the factor they are multiplied by (a power of two with `Half` storage, else 1). The
// vector's value is scale·data[j], exactly.
template <typename T>
struct Stored {
  const T* data = nullptr;
  double scale = 1.0;
};

// ---------------------------------------------------------------------------------------------
// Dot products (the kernels are in lbfgs_kernels.cpp; see there for the summation order, which is
// the same whatever sweep computes a product and whichever operand is the "probe"). Products with
// a `Half` vector are summed from its unscaled entries and multiplied by its scale at the end:
// with a power-of-two scale this is the product with the vector's value, bit for bit (unless a
// term underflows), so a product of two stored vectors does not depend on which one is the probe.

// A probe of a sweep: a d-vector of doubles, floats or halves (times `scale`), optionally
// weighted by Δ (materialized chunk by chunk in double precision).
struct Probe {
  const double* d = nullptr;
  const float* f = nullptr;
  const Half* h = nullptr;
  double scale = 1.0;
  Weight weight = Weight::None;
};

Probe make_probe(const double* v, Weight w = Weight::None) {
  return {v, nullptr, nullptr, 1.0, w};
}
Probe make_probe(Stored<double> v, Weight w = Weight::None) {
  return {v.data, nullptr, nullptr, 1.0, w};
}
Probe make_probe(Stored<float> v, Weight w = Weight::None) {
  return {nullptr, v.data, nullptr, 1.0, w};
}
Probe make_probe(Stored<Half> v, Weight w = Weight::None) {
  return {nullptr, nullptr, v.data, v.scale, w};
}

// One group of products of a sweep: every probe against every vector, written to the sweep's
// results at offset + b·probes.size() + a.
template <typename T>
struct DotTask {
  std::vector<Probe> probes;
  std::vector<Stored<T>> vectors;
  std::size_t offset = 0;
};

template <typename T>
struct DotPlan {
  std::vector<DotTask<T>> tasks;
  std::size_t count = 0;  // number of results

  DotTask<T>& add(std::vector<Probe> probes, std::vector<Stored<T>> vectors) {
    DotTask<T> task{std::move(probes), std::move(vectors), count};
    count += task.probes.size() * task.vectors.size();
    tasks.push_back(std::move(task));
    return tasks.back();
  }
};

// Runs a plan: per fixed chunk, every task's products; the per-chunk partials are added in chunk
// order.
template <typename T>
std::vector<double> run_plan(Index dim, int threads, const Vector& delta, const DotPlan<T>& plan) {
  const auto chunks = linalg::RowChunks::uniform(dim, kChunk);
  const std::size_t n = plan.count;
  std::vector<double> partial(static_cast<std::size_t>(chunks.count()) * n);
  std::size_t max_probes = 0;
  for (const auto& task : plan.tasks)
    max_probes = std::max(max_probes, task.probes.size());
  const bool has_delta = delta.size() > 0;
  // Binary16 sweeps read a binary16 probe without Δ straight into floats (exactly).
  const auto half_as_is = [&](const Probe& q) {
    return std::is_same_v<T, Half> && q.h != nullptr &&
           (has_delta ? q.weight : Weight::None) == Weight::None;
  };
  linalg::for_each_chunk(chunks, threads, [&](Index c, Index begin, Index end) {
    const Index len = end - begin;
    std::vector<double> scratch(max_probes * static_cast<std::size_t>(len));
    std::vector<const double*> p(max_probes);
    std::vector<const T*> v;
    // The float copies of the probes, and their scales, for binary16 vectors.
    std::vector<float> narrow;
    std::vector<const float*> pf;
    std::vector<double> up;
    if constexpr (std::is_same_v<T, Half>) {
      narrow.resize(max_probes * static_cast<std::size_t>(len));
      pf.resize(max_probes);
      up.resize(max_probes);
    }
    double* out = partial.data() + static_cast<std::size_t>(c) * n;
    for (const auto& task : plan.tasks) {
      // This chunk of every probe: in place when it is a plain double vector, else widened and
      // weighted into the scratch buffer.
      for (std::size_t a = 0; a < task.probes.size(); ++a) {
        const Probe& q = task.probes[a];
        const Weight w = has_delta ? q.weight : Weight::None;
        if (q.d != nullptr && w == Weight::None) {
          p[a] = q.d + begin;
          continue;
        }
        if (half_as_is(q)) continue;  // read as floats below
        double* x = scratch.data() + a * static_cast<std::size_t>(len);
        if (q.d != nullptr) {
          std::copy(q.d + begin, q.d + end, x);
        } else if (q.f != nullptr) {
          std::transform(q.f + begin, q.f + end, x, [](float e) { return static_cast<double>(e); });
        } else {
          kernels::decode_half(q.h + begin, len, q.scale, x);
        }
        if (w == Weight::Diagonal) {
          const double* dl = delta.data() + begin;
          for (Index j = 0; j < len; ++j)
            x[j] *= dl[j];
        }
        p[a] = x;
      }
      const std::size_t nv = task.vectors.size();
      const std::size_t np = task.probes.size();
      v.resize(nv);
      for (std::size_t b = 0; b < nv; ++b)
        v[b] = task.vectors[b].data + begin;
      double* o = out + task.offset;
      if constexpr (std::is_same_v<T, Half>) {
        // Binary16 vectors are read in single precision: this chunk of each probe as floats, a
        // binary16 probe exactly (its scale applied to the products), any other scaled into
        // float range by a power of two 2^-e and rounded (2^e applied to the products).
        for (std::size_t a = 0; a < np; ++a) {
          const Probe& q = task.probes[a];
          float* x = narrow.data() + a * static_cast<std::size_t>(len);
          if (half_as_is(q)) {
            kernels::half_to_float(q.h + begin, len, x);
            up[a] = q.scale;
          } else {
            up[a] = std::ldexp(1.0, kernels::narrow_to_float(p[a], len, x));
          }
          pf[a] = x;
        }
        kernels::dot_products(len, static_cast<int>(np), pf.data(), static_cast<int>(nv), v.data(),
                              o, static_cast<int>(np));
        for (std::size_t b = 0; b < nv; ++b) {
          for (std::size_t a = 0; a < np; ++a)
            o[b * np + a] *= up[a];
        }
      } else {
        kernels::dot_products(len, static_cast<int>(np), p.data(), static_cast<int>(nv), v.data(),
                              o, static_cast<int>(np));
      }
      for (std::size_t b = 0; b < nv; ++b) {
        const double scale = task.vectors[b].scale;
        if (scale == 1.0) continue;
        for (std::size_t a = 0; a < np; ++a)
          o[b * np + a] *= scale;
      }
    }
  });
  std::vector<double> total(n, 0.0);
  for (Index c = 0; c < chunks.count(); ++c) {
    const double* part = partial.data() + static_cast<std::size_t>(c) * n;
    for (std::size_t k = 0; k < n; ++k)
      total[k] += part[k];
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Combinations.

// out = Δ∘(a0·v + Σ_i ca_i·A_i) + Σ_i cb_i·B_i (no Δ when it is empty), chunk by chunk. `out` may
// alias `v`. The coefficients already include the vectors' scales.
template <typename T>
void sweep_combine(Index dim, int threads, const Vector& delta, double a0, const double* v,
                   const std::vector<const T*>& A, const Eigen::VectorXd& ca,
                   const std::vector<const T*>& B, const Eigen::VectorXd& cb, double* out) {
  const auto chunks = linalg::RowChunks::uniform(dim, kChunk);
  const bool weighted = delta.size() > 0;
  linalg::for_each_chunk(chunks, threads, [&](Index, Index begin, Index end) {
    for (Index b = begin; b < end; b += kCombineBlock) {
      const Index len = std::min<Index>(kCombineBlock, end - b);
      double* o = out + b;
      const double* vb = v + b;
      // `o` aliases `vb` entry for entry or not at all: no dependence between iterations.
      SHINE_NO_LOOP_DEPENDENCE
      for (Index j = 0; j < len; ++j)
        o[j] = a0 * vb[j];
      kernels::add_combination(len, A.size(), A.data(), ca.data(), b, o);
      if (weighted) {
        const double* dl = delta.data() + b;
        SHINE_NO_LOOP_DEPENDENCE
        for (Index j = 0; j < len; ++j)
          o[j] *= dl[j];
      }
      kernels::add_combination(len, B.size(), B.data(), cb.data(), b, o);
    }
  });
}

// The largest |x_j| that is not NaN, over fixed chunks on up to `threads` threads (a maximum
// does not depend on the order, so neither does the result).
double largest_magnitude(const double* x, Index n, int threads) {
  const auto chunks = linalg::RowChunks::uniform(n, kChunk);
  std::vector<double> largest(static_cast<std::size_t>(chunks.count()), 0.0);
  linalg::for_each_chunk(chunks, threads, [&](Index c, Index begin, Index end) {
    largest[static_cast<std::size_t>(c)] = kernels::largest_magnitude(x + begin, end - begin);
  });
  return largest.empty() ? 0.0 : *std::max_element(largest.begin(), largest.end());
}

// The scale of `Half` storage for a vector whose largest finite |entry| is `max_abs`: the power
// of two 2^k that maps max_abs into [2^14, 2^15), so that the largest entry keeps the full 11-bit
// precision with room to round up (binary16 reaches 65504), and entries down to 2^-24 of 2^k
// (about 2^-39 of max_abs) survive as subnormals. 1 for a zero vector. k is kept in
// [−1022, 1009], so that 2^k and 2^−k are normal doubles.
double half_scale(double max_abs) {
  if (!(max_abs > 0.0) || !std::isfinite(max_abs)) return 1.0;
  const int k = std::clamp(std::ilogb(max_abs) - 14, -1022, 1009);
  return std::ldexp(1.0, k);
}

// `x` rounded to `Half` storage in `out` (over fixed chunks on up to `threads` threads: a maximum
// and an entrywise conversion, the same bits for any thread count); returns its scale.
double round_to_half(const Vector& x, VectorT<Half>& out, int threads) {
  const double scale = half_scale(largest_magnitude(x.data(), x.size(), threads));
  out.resize(x.size());
  const double factor = 1.0 / scale;
  linalg::for_each_chunk(
      linalg::RowChunks::uniform(x.size(), kChunk), threads, [&](Index, Index begin, Index end) {
        kernels::encode_half(x.data() + begin, end - begin, factor, out.data() + begin);
      });
  return scale;
}

}  // namespace

template <>
const std::vector<Eigen::VectorXd>& LbfgsMemory::s_store<double>() const noexcept {
  return s_;
}
template <>
const std::vector<Eigen::VectorXd>& LbfgsMemory::y_store<double>() const noexcept {
  return y_;
}
template <>
const std::vector<Eigen::VectorXf>& LbfgsMemory::s_store<float>() const noexcept {
  return sf_;
}
template <>
const std::vector<Eigen::VectorXf>& LbfgsMemory::y_store<float>() const noexcept {
  return yf_;
}
template <>
const std::vector<VectorT<Half>>& LbfgsMemory::s_store<Half>() const noexcept {
  return sh_;
}
template <>
const std::vector<VectorT<Half>>& LbfgsMemory::y_store<Half>() const noexcept {
  return yh_;
}
template <>
std::vector<Eigen::VectorXd>& LbfgsMemory::s_store<double>() noexcept {
  return s_;
}
template <>
std::vector<Eigen::VectorXd>& LbfgsMemory::y_store<double>() noexcept {
  return y_;
}
template <>
std::vector<Eigen::VectorXf>& LbfgsMemory::s_store<float>() noexcept {
  return sf_;
}
template <>
std::vector<Eigen::VectorXf>& LbfgsMemory::y_store<float>() noexcept {
  return yf_;
}
template <>
std::vector<VectorT<Half>>& LbfgsMemory::s_store<Half>() noexcept {
  return sh_;
}
template <>
std::vector<VectorT<Half>>& LbfgsMemory::y_store<Half>() noexcept {
  return yh_;
}

LbfgsMemory::LbfgsMemory(Index dim, int capacity, InitialHessian initial_hessian,
                         double curvature_epsilon, PairPrecision precision)
    : dim_(dim),
      capacity_(capacity),
      initial_hessian_(initial_hessian),
      precision_(resolve_pair_precision(precision, dim, capacity)) {
  require(dim >= 0, "LbfgsMemory dim", dim, "must be >= 0");
  require(capacity >= 1, "LbfgsMemory capacity", capacity, "must be >= 1");
  set_curvature_epsilon(curvature_epsilon);
  allocate_storage();
  sy_.setZero(capacity_, capacity_);
  yy_.setZero(capacity_, capacity_);
}

void LbfgsMemory::allocate_storage() {
  const auto cap = static_cast<std::size_t>(capacity_);
  const auto fit = [&](auto& S, auto& Y, bool used) {
    using Store = std::remove_reference_t<decltype(S)>;
    if (used) {
      S.resize(cap);
      Y.resize(cap);
    } else {
      Store().swap(S);
      Store().swap(Y);
    }
  };
  fit(s_, y_, precision_ == PairPrecision::Double);
  fit(sf_, yf_, precision_ == PairPrecision::Single);
  fit(sh_, yh_, precision_ == PairPrecision::Half);
  s_scale_.assign(cap, 1.0);
  y_scale_.assign(cap, 1.0);
}

void LbfgsMemory::put(bool is_s, std::size_t slot, const Vector& x) {
  double& scale = is_s ? s_scale_[slot] : y_scale_[slot];
  scale = 1.0;
  switch (precision_) {
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      (is_s ? s_ : y_)[slot] = x;
      break;
    case PairPrecision::Single:
      (is_s ? sf_ : yf_)[slot] = x.cast<float>();
      break;
    case PairPrecision::Half:
      scale = round_to_half(x, (is_s ? sh_ : yh_)[slot], num_threads_);
      break;
  }
}

std::vector<Vector> LbfgsMemory::pairs_s() const {
  std::vector<Vector> out;
  for (int i = 0; i < size_; ++i)
    out.push_back(s(i));
  return out;
}

std::vector<Vector> LbfgsMemory::pairs_y() const {
  std::vector<Vector> out;
  for (int i = 0; i < size_; ++i)
    out.push_back(y(i));
  return out;
}

void LbfgsMemory::set_curvature_epsilon(double epsilon) {
  require(epsilon >= 0.0 && epsilon < 1.0, "LbfgsMemory curvature_epsilon", epsilon,
          "must be in [0, 1)");
  curvature_epsilon_ = epsilon;
}

void LbfgsMemory::set_capacity(int capacity) {
  require(capacity >= 1, "LbfgsMemory capacity", capacity, "must be >= 1");
  if (capacity == capacity_ && s_scale_.size() == static_cast<std::size_t>(capacity_)) return;
  const int keep = std::min(size_, capacity);
  const int first = size_ - keep;  // chronological index of the oldest kept pair
  // The kept pairs and their Gram entries move to slots 0 … keep − 1 in chronological order
  // (head_ = 0 below), so slot(i) = i afterwards.
  const auto move_pairs = [&](auto& S, auto& Y) {
    if (S.empty()) return;  // not the storage in use
    std::remove_reference_t<decltype(S)> s(static_cast<std::size_t>(capacity));
    std::remove_reference_t<decltype(Y)> y(static_cast<std::size_t>(capacity));
    for (int a = 0; a < keep; ++a) {
      s[static_cast<std::size_t>(a)] = std::move(S[slot(first + a)]);
      y[static_cast<std::size_t>(a)] = std::move(Y[slot(first + a)]);
    }
    S = std::move(s);
    Y = std::move(y);
  };
  Eigen::MatrixXd sy = Eigen::MatrixXd::Zero(capacity, capacity);
  Eigen::MatrixXd yy = Eigen::MatrixXd::Zero(capacity, capacity);
  for (int a = 0; a < keep; ++a) {
    const auto fa = static_cast<Index>(slot(first + a));
    for (int b = 0; b < keep; ++b) {
      const auto fb = static_cast<Index>(slot(first + b));
      sy(a, b) = sy_(fa, fb);
      yy(a, b) = yy_(fa, fb);
    }
  }
  move_pairs(s_, y_);
  move_pairs(sf_, yf_);
  move_pairs(sh_, yh_);
  move_pairs(s_scale_, y_scale_);
  for (int a = keep; a < capacity; ++a) {
    s_scale_[static_cast<std::size_t>(a)] = 1.0;
    y_scale_[static_cast<std::size_t>(a)] = 1.0;
  }
  sy_ = std::move(sy);
  yy_ = std::move(yy);
  capacity_ = capacity;
  size_ = keep;
  head_ = 0;
  ++revision_;
}

void LbfgsMemory::set_pair_precision(PairPrecision precision) {
  precision = resolve_pair_precision(precision, dim_, capacity_);
  if (precision == precision_) return;
  const bool was_half = precision_ == PairPrecision::Half;
  // Through doubles (exact), then stored as `precision` in the same slots.
  const std::vector<Vector> S = pairs_s();
  const std::vector<Vector> Y = pairs_y();
  precision_ = precision;
  allocate_storage();
  for (int i = 0; i < size_; ++i) {
    put(true, slot(i), S[static_cast<std::size_t>(i)]);
    put(false, slot(i), Y[static_cast<std::size_t>(i)]);
  }
  // Widening is exact: the Gram matrix stays that of the pairs, unless it was computed in single
  // precision (binary16 pairs). Rounded pairs have their own.
  if (precision != PairPrecision::Double || was_half) recompute_gram();
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
    // The message is built only for the first bad entry (not once per entry: Δ is set at the
    // start of every solve).
    Index bad = 0;
    while (bad < dim_ && std::isfinite(diagonal[bad]) && diagonal[bad] > 0.0)
      ++bad;
    if (bad < dim_) {
      require(false, "LbfgsMemory::set_diagonal entry " + std::to_string(bad), diagonal[bad],
              "must be finite and > 0");
    }
  }
  diagonal_ = diagonal;
  recompute_weighted_gram();
  ++revision_;
}

template <typename T>
void LbfgsMemory::recompute_gram_as(bool all) {
  if (size_ == 0) return;
  const auto& S = s_store<T>();
  const auto& Y = y_store<T>();
  const auto s_at = [&](int i) { return Stored<T>{S[slot(i)].data(), s_scale_[slot(i)]}; };
  const auto y_at = [&](int i) { return Stored<T>{Y[slot(i)].data(), y_scale_[slot(i)]}; };
  // Each product as `store_as` computes it when the newer pair b is added: the newer vector is
  // the probe (it carries Δ in y_bᵀΔy_a), the older ones the vectors.
  DotPlan<T> plan;
  std::vector<std::size_t> at_ys;
  std::vector<std::size_t> at_yy;
  for (int b = 0; b < size_; ++b) {
    std::vector<Stored<T>> older_s;
    std::vector<Stored<T>> older_y;
    for (int a = 0; a <= b; ++a) {
      older_s.push_back(s_at(a));
      older_y.push_back(y_at(a));
    }
    if (all) {
      // y_bᵀs_a = s_aᵀy_b (a ≤ b); then, with or without `all`, y_bᵀΔy_a (a ≤ b).
      at_ys.push_back(plan.add({make_probe(y_at(b))}, older_s).offset);
    }
    at_yy.push_back(plan.add({make_probe(y_at(b), Weight::Diagonal)}, older_y).offset);
  }
  const std::vector<double> dots = run_plan(dim_, num_threads_, diagonal_, plan);
  for (int b = 0; b < size_; ++b) {
    const auto tb = static_cast<Index>(slot(b));
    const auto ub = static_cast<std::size_t>(b);
    for (int a = 0; a <= b; ++a) {
      const auto ta = static_cast<Index>(slot(a));
      const auto ua = static_cast<std::size_t>(a);
      if (all) {
        sy_(tb, ta) = 0.0;                   // s_bᵀy_a: not needed (overwritten when a = b)
        sy_(ta, tb) = dots[at_ys[ub] + ua];  // s_aᵀy_b
      }
      yy_(ta, tb) = yy_(tb, ta) = dots[at_yy[ub] + ua];
    }
  }
}

void LbfgsMemory::recompute_weighted_gram() {
  switch (precision_) {
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      return recompute_gram_as<double>(false);
    case PairPrecision::Single:
      return recompute_gram_as<float>(false);
    case PairPrecision::Half:
      return recompute_gram_as<Half>(false);
  }
}

void LbfgsMemory::recompute_gram() {
  switch (precision_) {
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      return recompute_gram_as<double>(true);
    case PairPrecision::Single:
      return recompute_gram_as<float>(true);
    case PairPrecision::Half:
      return recompute_gram_as<Half>(true);
  }
}

Vector LbfgsMemory::s(int i) const {
  const std::size_t t = slot(i);
  switch (precision_) {
    case PairPrecision::Single:
      return sf_[t].cast<double>();
    case PairPrecision::Half: {
      Vector out(dim_);
      kernels::decode_half(sh_[t].data(), dim_, s_scale_[t], out.data());
      return out;
    }
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      break;
  }
  return s_[t];
}

Vector LbfgsMemory::y(int i) const {
  const std::size_t t = slot(i);
  switch (precision_) {
    case PairPrecision::Single:
      return yf_[t].cast<double>();
    case PairPrecision::Half: {
      Vector out(dim_);
      kernels::decode_half(yh_[t].data(), dim_, y_scale_[t], out.data());
      return out;
    }
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      break;
  }
  return y_[t];
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
  switch (precision_) {
    case PairPrecision::Single:
      return store_as<float>(s, y, s_owned, y_owned, probe, projection);
    case PairPrecision::Half:
      return store_as<Half>(s, y, s_owned, y_owned, probe, projection);
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      break;
  }
  return store_as<double>(s, y, s_owned, y_owned, probe, projection);
}

template <typename T>
bool LbfgsMemory::store_as(const Vector& s, const Vector& y, Vector* s_owned, Vector* y_owned,
                           const Vector* probe, LbfgsProjection* projection) {
  auto& S = s_store<T>();
  auto& Y = y_store<T>();
  const bool full = size_ == capacity_;
  // The new pair's slot: the one after the newest, or, when full, the oldest's (that pair is
  // dropped if the new one is accepted).
  const std::size_t target = full ? slot(0) : slot(size_);
  const bool has_delta = diagonal_.size() > 0;

  // The new pair as it will be stored: the caller's vectors, or their rounding (with its scale).
  VectorT<T> s_rounded;
  VectorT<T> y_rounded;
  Stored<T> sn;
  Stored<T> yn;
  if constexpr (std::is_same_v<T, double>) {
    sn.data = s.data();
    yn.data = y.data();
  } else if constexpr (std::is_same_v<T, float>) {
    s_rounded = s.template cast<T>();
    y_rounded = y.template cast<T>();
    sn.data = s_rounded.data();
    yn.data = y_rounded.data();
  } else {
    sn.scale = round_to_half(s, s_rounded, num_threads_);
    yn.scale = round_to_half(y, y_rounded, num_threads_);
    sn.data = s_rounded.data();
    yn.data = y_rounded.data();
  }

  // One sweep for every product the update needs: the new pair with itself and with the pairs
  // that stay, and the probe (the new gradient) with all of them. The pair a full memory drops
  // is not read (its products with the probe are computed apart if the new pair is refused).
  const int first = full ? 1 : 0;
  const int kept = size_ - first;
  std::vector<Stored<T>> s_vectors;
  std::vector<Stored<T>> y_vectors;
  for (int i = first; i < size_; ++i) {
    s_vectors.push_back({S[slot(i)].data(), s_scale_[slot(i)]});
    y_vectors.push_back({Y[slot(i)].data(), y_scale_[slot(i)]});
  }
  s_vectors.push_back(sn);
  y_vectors.push_back(yn);
  // Products with s_i: y, g; with y_i: Δy, Δg (g the probe); and ‖s‖² for the guard. s·s_i and
  // s·y_i (i older) are not computed: the recursion reads neither.
  std::vector<Probe> s_probes{make_probe(yn)};
  std::vector<Probe> y_probes{make_probe(yn, Weight::Diagonal)};
  if (probe != nullptr) {
    s_probes.push_back(make_probe(probe->data()));
    y_probes.push_back(make_probe(probe->data(), Weight::Diagonal));
  }
  const std::size_t ns = s_probes.size();
  const std::size_t ny = y_probes.size();
  DotPlan<T> plan;
  const std::size_t at_s = plan.add(std::move(s_probes), std::move(s_vectors)).offset;
  const std::size_t at_y = plan.add(std::move(y_probes), std::move(y_vectors)).offset;
  const std::size_t at_ss = plan.add({make_probe(sn)}, {sn}).offset;
  // ‖y‖² for the guard (y_newᵀΔy_new above when Δ = I).
  const std::size_t at_yy = has_delta ? plan.add({make_probe(yn)}, {yn}).offset : 0;
  const std::vector<double> dots = run_plan(dim_, num_threads_, diagonal_, plan);
  // Result of the a-th probe against the b-th vector of the s (y) group; b = kept is the new
  // pair. The s group's probes are y, g; the y group's Δy, Δg.
  const auto with_s = [&](int b, std::size_t a) {
    return dots[at_s + static_cast<std::size_t>(b) * ns + a];
  };
  const auto with_y = [&](int b, std::size_t a) {
    return dots[at_y + static_cast<std::size_t>(b) * ny + a];
  };
  const double ss = dots[at_ss];
  const double sy = with_s(kept, 0);
  const double ydy = with_y(kept, 0);
  const double yy = has_delta ? dots[at_yy] : ydy;
  // Every product of the sweep, the probe's included, must be finite for the pair to be stored:
  // the Gram matrix stays finite.
  const bool finite =
      std::all_of(dots.begin(), dots.end(), [](double x) { return std::isfinite(x); });
  const bool accepted =
      finite && sy > 0.0 && ydy > 0.0 && sy > curvature_epsilon_ * std::sqrt(ss) * std::sqrt(yy);

  if (accepted) {
    if constexpr (std::is_same_v<T, double>) {
      if (s_owned != nullptr && y_owned != nullptr) {
        // Hand the storage of the slot being reused back to the caller: no allocation per pair.
        std::swap(S[target], *s_owned);
        std::swap(Y[target], *y_owned);
      } else {
        S[target] = s;
        Y[target] = y;
      }
    } else {
      (void)s_owned;
      (void)y_owned;
      // The dropped pair's storage comes back here and is freed with these locals.
      std::swap(S[target], s_rounded);
      std::swap(Y[target], y_rounded);
    }
    s_scale_[target] = sn.scale;
    y_scale_[target] = yn.scale;
    // The new pair's column of sy_ (s_jᵀy_new, j older or the new pair) and its row and column
    // of yy_.
    const auto t = static_cast<Index>(target);
    sy_(t, t) = sy;
    yy_(t, t) = ydy;
    for (int b = 0; b < kept; ++b) {
      const auto j = static_cast<Index>(slot(first + b));
      sy_(j, t) = with_s(b, 0);  // s_jᵀy_new
      sy_(t, j) = 0.0;           // s_newᵀy_j: not needed
      yy_(t, j) = yy_(j, t) = with_y(b, 0);
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
    int at = 0;
    if (!accepted && full) {
      // The oldest pair stays: its products with the probe, in a sweep over that pair only.
      DotPlan<T> oldest;
      oldest.add({make_probe(probe->data())}, {{S[slot(0)].data(), s_scale_[slot(0)]}});
      oldest.add({make_probe(probe->data(), Weight::Diagonal)},
                 {{Y[slot(0)].data(), y_scale_[slot(0)]}});
      const std::vector<double> extra = run_plan(dim_, num_threads_, diagonal_, oldest);
      projection->s_dots[0] = extra[0];
      projection->y_dots[0] = extra[1];
      at = 1;
    }
    const int count = accepted ? kept + 1 : kept;
    for (int b = 0; b < count; ++b, ++at) {
      projection->s_dots[at] = with_s(b, 1);
      projection->y_dots[at] = with_y(b, 1);
    }
    projection->revision = revision_;
  }
  return accepted;
}

void LbfgsMemory::project(const Vector& v, LbfgsProjection& projection) const {
  check_vector(v, "v");
  switch (precision_) {
    case PairPrecision::Single:
      return project_as<float>(v, projection);
    case PairPrecision::Half:
      return project_as<Half>(v, projection);
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      break;
  }
  project_as<double>(v, projection);
}

template <typename T>
void LbfgsMemory::project_as(const Vector& v, LbfgsProjection& projection) const {
  const auto& S = s_store<T>();
  const auto& Y = y_store<T>();
  std::vector<Stored<T>> s_vectors;
  std::vector<Stored<T>> y_vectors;
  for (int i = 0; i < size_; ++i) {
    s_vectors.push_back({S[slot(i)].data(), s_scale_[slot(i)]});
    y_vectors.push_back({Y[slot(i)].data(), y_scale_[slot(i)]});
  }
  DotPlan<T> plan;
  plan.add({make_probe(v.data())}, std::move(s_vectors));
  plan.add({make_probe(v.data(), Weight::Diagonal)}, std::move(y_vectors));
  const std::vector<double> dots = run_plan(dim_, num_threads_, diagonal_, plan);
  projection.s_dots.resize(size_);
  projection.y_dots.resize(size_);
  for (int i = 0; i < size_; ++i) {
    projection.s_dots[i] = dots[static_cast<std::size_t>(i)];
    projection.y_dots[i] = dots[static_cast<std::size_t>(size_ + i)];
  }
  projection.revision = revision_;
}

template <typename T>
void LbfgsMemory::combine_as(const Vector& v, double a0, const Eigen::VectorXd& cy,
                             const Eigen::VectorXd& cs, double* out) const {
  const auto& S = s_store<T>();
  const auto& Y = y_store<T>();
  std::vector<const T*> s_vectors;
  std::vector<const T*> y_vectors;
  // The coefficients of the stored entries: times the vectors' scales (exact, powers of two).
  Eigen::VectorXd ky(size_);
  Eigen::VectorXd ks(size_);
  for (int i = 0; i < size_; ++i) {
    s_vectors.push_back(S[slot(i)].data());
    y_vectors.push_back(Y[slot(i)].data());
    ky[i] = cy[i] * y_scale_[slot(i)];
    ks[i] = cs[i] * s_scale_[slot(i)];
  }
  sweep_combine(dim_, num_threads_, diagonal_, a0, v.data(), y_vectors, ky, s_vectors, ks, out);
}

// B⁻¹v by the two-loop recursion on coefficients. k = size_, pairs i = 0 … k − 1 oldest first (the
// textbook's k−m … k−1), ρ_i = 1/(s_iᵀy_i) = 1/SY(i, i). Nocedal & Wright's Algorithm 7.4 with
// H₀ = γΔ reads
//
//     q ← v;    for i = k−1 … 0:  α_i ← ρ_i s_iᵀq;  q ← q − α_i y_i
//     r ← γΔq;  for i = 0 … k−1:  β_i ← ρ_i y_iᵀr;  r ← r + (α_i − β_i) s_i;   B⁻¹v = r.
//
// Here q and r are never formed; their coefficients are, and every inner product is expanded by
// linearity into the Gram matrix (SY(i, j) = s_iᵀy_j, YY(i, j) = y_iᵀΔy_j, chronological copies)
// and the projection of v (sv[i] = s_iᵀv, yv[i] = y_iᵀΔv):
// - First loop: q = v + Σ_j cy_j y_j, cy = 0 at the start. Step i reads
//   s_iᵀq = sv[i] + Σ_j SY(i, j)·cy_j, sets alpha[i] = s_iᵀq / SY(i, i) = α_i and cy_i = −α_i.
//   Only the pairs j > i already have cy_j ≠ 0, so only s_iᵀy_j with i < j contributes.
// - Middle: r = γΔq = Δ(γv + Σ_j γ·cy_j y_j). From here cy holds the coefficients of y_j inside
//   Δ(…): cy ← γ·cy, and the coefficient of v is γ (g = gamma()).
// - Second loop: r = Δ(γv + Σ_j cy_j y_j) + Σ_j cs_j s_j, cs = 0 at the start. Step i reads
//   y_iᵀr = γ·yv[i] + Σ_j YY(i, j)·cy_j + Σ_j SY(j, i)·cs_j (Δ is symmetric), sets
//   beta = y_iᵀr / SY(i, i) = β_i and cs_i = α_i − β_i. Only j < i has cs_j ≠ 0: s_jᵀy_i, j < i.
// - Result: r = Δ(γv − γ Σ_j α_j y_j) + Σ_j (α_j − β_j) s_j, Algorithm 7.4's r term by term,
//   formed times `scale` in one sweep (combine_as: a0 = scale·γ, Y coefficients scale·cy inside Δ,
//   S coefficients scale·cs outside).
// An empty memory is r = H₀v = Δv (γ = 1), handled first. Each α_i and β_i is the textbook's in
// exact arithmetic (only the rounding differs; the tests compare with the textbook recursion).
// Only the upper triangle and the diagonal of SY meet non-zero coefficients. `out` may alias `v`:
// the projection is taken first, and the combination reads each v[j] before it writes out[j].
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
  // The two-loop recursion on coefficients (see above): q = v + Σ cy_j y_j, then
  // r = Δ(γv + Σ cy_j y_j) + Σ cs_j s_j.
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
  if (&out != &v) out.resize(dim_);
  // r = Δ(γv + Σ cy_j y_j) + Σ cs_j s_j, times `scale`.
  const Eigen::VectorXd scaled_cy = scale * cy;
  const Eigen::VectorXd scaled_cs = scale * cs;
  switch (precision_) {
    case PairPrecision::Automatic:  // resolved on entry, never stored
    case PairPrecision::Double:
      combine_as<double>(v, scale * g, scaled_cy, scaled_cs, out.data());
      break;
    case PairPrecision::Single:
      combine_as<float>(v, scale * g, scaled_cy, scaled_cs, out.data());
      break;
    case PairPrecision::Half:
      combine_as<Half>(v, scale * g, scaled_cy, scaled_cs, out.data());
      break;
  }
}

void LbfgsMemory::apply_add(const Vector& x, Vector& y) const {
  require(y.size() == dim_, "LbfgsMemory::apply_add size of y", y.size(),
          "must equal the memory's dimension " + std::to_string(dim_));
  Vector product;
  apply_inverse(x, product);
  y += product;
}

}  // namespace shine::inner
