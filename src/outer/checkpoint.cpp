#include "shine/outer/checkpoint.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "shine/core/atomic_file.hpp"
#include "shine/core/communicator.hpp"
#include "shine/outer/tune_option_table.hpp"

namespace shine::outer {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "shine-checkpoint";
// 2: the secant rule's state and the inner tolerance rule; 3: the secant rule's bounce flag;
// 4: the fingerprint holds one entry per option of the option table, named as its row
constexpr int kVersion = 4;

static_assert(std::endian::native == std::endian::little,
              "checkpoints store little-endian doubles; add a byte swap for this platform");

// 64-bit FNV-1a over raw bytes: a checksum of the data, not a cryptographic hash.
class Checksum {
 public:
  void add(const void* data, std::size_t bytes) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) {
      hash_ ^= p[i];
      hash_ *= 0x100000001B3ULL;
    }
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return hash_; }

 private:
  std::uint64_t hash_ = 0xCBF29CE484222325ULL;
};

// What `describe` counts of one process's rows (gathered over the processes of a group).
struct PartSummary {
  long long rows = 0;
  long long nnz = 0;
  std::uint64_t checksum = 0;
  int weighted = 0;
};

std::string describe(const data::Dataset& data) {
  Checksum sum;
  const SparseMatrix& X = data.X;
  sum.add(X.outerIndexPtr(), sizeof(StorageIndex) * static_cast<std::size_t>(X.outerSize() + 1));
  sum.add(X.innerIndexPtr(), sizeof(StorageIndex) * static_cast<std::size_t>(X.nonZeros()));
  sum.add(X.valuePtr(), sizeof(double) * static_cast<std::size_t>(X.nonZeros()));
  sum.add(data.y.data(), sizeof(double) * static_cast<std::size_t>(data.y.size()));
  // Weights join the checksum only when present, so that unweighted data keep the fingerprint
  // of the checkpoints written before weights existed.
  if (data.weighted()) {
    sum.add(data.weights.data(), sizeof(double) * static_cast<std::size_t>(data.weights.size()));
  }
  PartSummary whole{static_cast<long long>(data.rows()), static_cast<long long>(data.nnz()),
                    sum.value(), data.weighted() ? 1 : 0};
  std::string processes;
  if (core::is_distributed(data.communicator)) {
    // Rows spread over processes: every process describes the whole data the same way (the
    // processes' checksums combined in rank order), so a checkpoint resumes with the same data
    // cut into as many parts.
    const std::vector<PartSummary> parts = core::gather_values(*data.communicator, whole);
    Checksum combined;
    whole = {};
    for (const PartSummary& part : parts) {
      whole.rows += part.rows;
      whole.nnz += part.nnz;
      whole.weighted |= part.weighted;
      combined.add(&part.checksum, sizeof part.checksum);
    }
    whole.checksum = combined.value();
    processes = " over " + std::to_string(parts.size()) + " processes";
  }
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, "%lld x %lld, %lld non-zeros%s, checksum %016llx",
                whole.rows, static_cast<long long>(data.features()), whole.nnz,
                whole.weighted != 0 ? ", weighted" : "",
                static_cast<unsigned long long>(whole.checksum));
  return buffer + processes;
}

// --- CBOR encoding of the state ---------------------------------------------------------------

json encode(const Vector& v) {
  std::vector<std::uint8_t> bytes(sizeof(double) * static_cast<std::size_t>(v.size()));
  if (!bytes.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return json::binary(std::move(bytes));
}

Vector decode_vector(const json& value, const char* what) {
  if (!value.is_binary()) throw std::runtime_error(std::string(what) + " is not a vector");
  const auto& bytes = value.get_binary();
  if (bytes.size() % sizeof(double) != 0) {
    throw std::runtime_error(std::string(what) +
                             " has a size that is not a whole number of "
                             "doubles");
  }
  Vector v(static_cast<Index>(bytes.size() / sizeof(double)));
  if (!bytes.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

// Numbers are stored as CBOR doubles or integers, which keep NaN and ±∞ and round-trip exactly.
template <typename T>
T get(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) throw std::runtime_error(std::string("missing field '") + key + "'");
  try {
    return found->get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(std::string("field '") + key + "' has the wrong type");
  }
}

template <typename Enum>
Enum get_enum(const json& object, const char* key, int count) {
  const int value = get<int>(object, key);
  if (value < 0 || value >= count) {
    throw std::runtime_error(std::string("field '") + key + "' is out of range");
  }
  return static_cast<Enum>(value);
}

json encode(const inner::InnerSummary& s) {
  return json{{"termination", static_cast<int>(s.termination)},
              {"message", s.message},
              {"iterations", s.iterations},
              {"function_evaluations", s.function_evaluations},
              {"gradient_evaluations", s.gradient_evaluations},
              {"data_passes", s.data_passes},
              {"hessian_products", s.hessian_products},
              {"line_search_evaluations", s.line_search_evaluations},
              {"steepest_descent_retries", s.steepest_descent_retries},
              {"pairs_accepted", s.pairs_accepted},
              {"pairs_rejected", s.pairs_rejected},
              {"initial_value", s.initial_value},
              {"final_value", s.final_value},
              {"initial_gradient_norm", s.initial_gradient_norm},
              {"final_gradient_norm", s.final_gradient_norm},
              {"tolerance", s.tolerance},
              {"total_seconds", s.total_seconds},
              {"line_search_seconds", s.line_search_seconds},
              {"direction_seconds", s.direction_seconds},
              {"hook_seconds", s.hook_seconds}};
}

inner::InnerSummary decode_inner(const json& o) {
  inner::InnerSummary s;
  s.termination = get_enum<Termination>(o, "termination", 7);
  s.message = get<std::string>(o, "message");
  s.iterations = get<int>(o, "iterations");
  s.function_evaluations = get<Index>(o, "function_evaluations");
  s.gradient_evaluations = get<Index>(o, "gradient_evaluations");
  s.data_passes = get<Index>(o, "data_passes");
  s.hessian_products = get<Index>(o, "hessian_products");
  s.line_search_evaluations = get<Index>(o, "line_search_evaluations");
  s.steepest_descent_retries = get<int>(o, "steepest_descent_retries");
  s.pairs_accepted = get<int>(o, "pairs_accepted");
  s.pairs_rejected = get<int>(o, "pairs_rejected");
  s.initial_value = get<double>(o, "initial_value");
  s.final_value = get<double>(o, "final_value");
  s.initial_gradient_norm = get<double>(o, "initial_gradient_norm");
  s.final_gradient_norm = get<double>(o, "final_gradient_norm");
  s.tolerance = get<double>(o, "tolerance");
  s.total_seconds = get<double>(o, "total_seconds");
  s.line_search_seconds = get<double>(o, "line_search_seconds");
  s.direction_seconds = get<double>(o, "direction_seconds");
  s.hook_seconds = get<double>(o, "hook_seconds");
  return s;
}

json encode(const hypergrad::HypergradSummary& s) {
  return json{{"method", static_cast<int>(s.method)},
              {"termination", static_cast<int>(s.termination)},
              {"message", s.message},
              {"cg_iterations", s.cg_iterations},
              {"cg_budget", s.cg_budget},
              {"hessian_products", s.hessian_products},
              {"data_passes", s.data_passes},
              {"relative_residual", s.relative_residual},
              {"initial_relative_residual", s.initial_relative_residual},
              {"memory_pairs", s.memory_pairs},
              {"empty_memory", s.empty_memory},
              {"fallback_fired", s.fallback_fired},
              {"fallback_reason", s.fallback_reason},
              {"opa_pairs_offered", s.opa.pairs_offered},
              {"opa_pairs_accepted", s.opa.pairs_accepted},
              {"opa_outer_gradient_evaluations", s.opa.outer_gradient_evaluations},
              {"opa_inner_gradient_evaluations", s.opa.inner_gradient_evaluations},
              {"opa_hessian_products", s.opa.hessian_products},
              {"opa_seconds", s.opa.seconds},
              {"tolerance", s.tolerance},
              {"seconds", s.seconds}};
}

hypergrad::HypergradSummary decode_hypergrad(const json& o) {
  hypergrad::HypergradSummary s;
  s.method = get_enum<hypergrad::Method>(o, "method", 5);
  s.termination = get_enum<Termination>(o, "termination", 7);
  s.message = get<std::string>(o, "message");
  s.cg_iterations = get<int>(o, "cg_iterations");
  s.cg_budget = get<int>(o, "cg_budget");
  s.hessian_products = get<Index>(o, "hessian_products");
  s.data_passes = get<Index>(o, "data_passes");
  s.relative_residual = get<double>(o, "relative_residual");
  s.initial_relative_residual = get<double>(o, "initial_relative_residual");
  s.memory_pairs = get<int>(o, "memory_pairs");
  s.empty_memory = get<bool>(o, "empty_memory");
  s.fallback_fired = get<bool>(o, "fallback_fired");
  s.fallback_reason = get<std::string>(o, "fallback_reason");
  s.opa.pairs_offered = get<int>(o, "opa_pairs_offered");
  s.opa.pairs_accepted = get<int>(o, "opa_pairs_accepted");
  s.opa.outer_gradient_evaluations = get<Index>(o, "opa_outer_gradient_evaluations");
  s.opa.inner_gradient_evaluations = get<Index>(o, "opa_inner_gradient_evaluations");
  s.opa.hessian_products = get<Index>(o, "opa_hessian_products");
  s.opa.seconds = get<double>(o, "opa_seconds");
  s.tolerance = get<double>(o, "tolerance");
  s.seconds = get<double>(o, "seconds");
  return s;
}

// `OuterRecord::returned` of a record that does not have it.
constexpr int kReturnedUnknown = -2;

json encode(const OuterRecord& r) {
  return json{{"iteration", r.iteration},
              {"theta", encode(r.theta)},
              {"validation_loss", r.validation_loss},
              {"validation_accuracy", r.validation_accuracy},
              {"test_loss", r.test_loss},
              {"test_accuracy", r.test_accuracy},
              {"returned", r.returned},
              {"provisional", r.provisional},
              {"hypergradient", encode(r.hypergradient)},
              {"hypergradient_norm", r.hypergradient_norm},
              {"tolerance", r.tolerance},
              {"step", static_cast<int>(r.step)},
              {"lipschitz", r.lipschitz},
              {"curvature", r.curvature},
              {"trust_radius", r.trust_radius},
              {"inner", encode(r.inner)},
              {"hypergradient_summary", encode(r.hypergradient_summary)},
              {"data_passes", r.data_passes},
              {"iteration_seconds", r.iteration_seconds},
              {"elapsed_seconds", r.elapsed_seconds}};
}

OuterRecord decode_record(const json& o) {
  OuterRecord r;
  r.iteration = get<int>(o, "iteration");
  r.theta = decode_vector(o.at("theta"), "record theta");
  r.lambda = r.theta.array().exp();
  r.validation_loss = get<double>(o, "validation_loss");
  r.validation_accuracy = get<double>(o, "validation_accuracy");
  r.test_loss = get<double>(o, "test_loss");
  r.test_accuracy = get<double>(o, "test_accuracy");
  // Checkpoints written before the field have none: `decode_checkpoint` derives it.
  r.returned = o.contains("returned") ? get<int>(o, "returned") : kReturnedUnknown;
  // Checkpoints written before the field: no evaluation was provisional.
  r.provisional = o.contains("provisional") && get<bool>(o, "provisional");
  r.hypergradient = decode_vector(o.at("hypergradient"), "record hypergradient");
  r.hypergradient_norm = get<double>(o, "hypergradient_norm");
  r.tolerance = get<double>(o, "tolerance");
  r.step = get_enum<StepOutcome>(o, "step", 10);
  r.lipschitz = get<double>(o, "lipschitz");
  r.curvature = get<double>(o, "curvature");
  r.trust_radius = get<double>(o, "trust_radius");
  r.inner = decode_inner(o.at("inner"));
  r.hypergradient_summary = decode_hypergrad(o.at("hypergradient_summary"));
  r.data_passes = get<Index>(o, "data_passes");
  r.iteration_seconds = get<double>(o, "iteration_seconds");
  r.elapsed_seconds = get<double>(o, "elapsed_seconds");
  return r;
}

json encode(const TuneCheckpoint& c) {
  json fingerprint = json::array();
  for (const auto& [key, value] : c.fingerprint)
    fingerprint.push_back(json::array({key, value}));
  json records = json::array();
  for (const OuterRecord& record : c.result.records)
    records.push_back(encode(record));
  const auto encode_pairs = [](const std::vector<Vector>& s, const std::vector<Vector>& y) {
    json pairs = json::array();
    for (std::size_t i = 0; i < s.size(); ++i)
      pairs.push_back(json::array({encode(s[i]), encode(y[i])}));
    return pairs;
  };
  json pairs = encode_pairs(c.memory_s, c.memory_y);
  json folds = json::array();
  for (const TuneCheckpoint::Fold& fold : c.folds) {
    folds.push_back(json{{"w", encode(fold.w)},
                         {"q", encode(fold.q)},
                         {"q_from_cg", fold.q_from_cg},
                         {"initial_gradient_norm", fold.initial_gradient_norm},
                         {"memory", encode_pairs(fold.memory_s, fold.memory_y)}});
  }
  const TuneResult& r = c.result;
  return json{{"format", kFormat},
              {"version", kVersion},
              {"fingerprint", std::move(fingerprint)},
              {"records", std::move(records)},
              {"has_result", r.has_result},
              {"best_iteration", r.best_iteration},
              {"best_theta", encode(r.theta)},
              {"best_w", encode(r.w)},
              {"validation_loss", r.validation_loss},
              {"validation_accuracy", r.validation_accuracy},
              {"test_loss", r.test_loss},
              {"test_accuracy", r.test_accuracy},
              {"elapsed_seconds", r.elapsed_seconds},
              {"rejected_steps", r.rejected_steps},
              {"non_finite_hypergradients", r.non_finite_hypergradients},
              {"fallbacks", r.fallbacks},
              {"theta", encode(c.theta)},
              {"w", encode(c.w)},
              {"q", encode(c.q)},
              {"q_from_cg", c.q_from_cg},
              {"epsilon", c.epsilon},
              {"initial_gradient_norm", c.initial_gradient_norm},
              {"has_lipschitz", c.lipschitz.has_value()},
              {"lipschitz", c.lipschitz.value_or(0.0)},
              {"previous_loss", c.previous_loss},
              {"secant_theta", encode(c.secant.previous_theta)},
              {"secant_gradient", encode(c.secant.previous_gradient)},
              {"secant_loss", c.secant.previous_loss},
              {"secant_radius", c.secant.radius},
              {"secant_curvature", c.secant.curvature},
              {"secant_bounced", c.secant.bounced},
              {"memory", std::move(pairs)},
              {"folds", std::move(folds)}};
}

TuneCheckpoint decode_checkpoint(const json& o) {
  if (!o.is_object() || !o.contains("format") || o.at("format") != kFormat) {
    throw std::runtime_error("not a shine checkpoint");
  }
  const int version = get<int>(o, "version");
  if (version != kVersion) {
    throw std::runtime_error("checkpoint version " + std::to_string(version) +
                             " is not supported (this version reads " + std::to_string(kVersion) +
                             ")");
  }
  TuneCheckpoint c;
  for (const json& entry : o.at("fingerprint")) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_string()) {
      throw std::runtime_error("malformed fingerprint");
    }
    c.fingerprint.emplace_back(entry[0].get<std::string>(), entry[1].get<std::string>());
  }
  TuneResult& r = c.result;
  for (const json& record : o.at("records"))
    r.records.push_back(decode_record(record));
  int best = -1;  // the tuner's rule for records that have no `returned` (older checkpoints)
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    OuterRecord& record = r.records[i];
    if (record.iteration != static_cast<int>(i)) {
      throw std::runtime_error("record " + std::to_string(i) + " is numbered " +
                               std::to_string(record.iteration));
    }
    if (std::isfinite(record.validation_loss) &&
        (best < 0 ||
         record.validation_loss < r.records[static_cast<std::size_t>(best)].validation_loss)) {
      best = record.iteration;
    }
    if (record.returned == kReturnedUnknown) {
      record.returned = record.step == StepOutcome::Converged ? record.iteration : best;
    }
    if (record.returned < -1 || record.returned > record.iteration) {
      throw std::runtime_error("record " + std::to_string(i) + " returns evaluation " +
                               std::to_string(record.returned));
    }
  }
  r.has_result = get<bool>(o, "has_result");
  r.best_iteration = get<int>(o, "best_iteration");
  r.theta = decode_vector(o.at("best_theta"), "best theta");
  r.lambda = r.theta.array().exp();
  r.w = decode_vector(o.at("best_w"), "best w");
  r.validation_loss = get<double>(o, "validation_loss");
  r.validation_accuracy = get<double>(o, "validation_accuracy");
  r.test_loss = get<double>(o, "test_loss");
  r.test_accuracy = get<double>(o, "test_accuracy");
  r.elapsed_seconds = get<double>(o, "elapsed_seconds");
  r.rejected_steps = get<int>(o, "rejected_steps");
  r.non_finite_hypergradients = get<int>(o, "non_finite_hypergradients");
  r.fallbacks = get<int>(o, "fallbacks");
  if (r.has_result && (r.best_iteration < 0 || r.best_iteration >= c.evaluations())) {
    throw std::runtime_error("the best evaluation is not among the records");
  }
  c.theta = decode_vector(o.at("theta"), "theta");
  c.w = decode_vector(o.at("w"), "w");
  c.q = decode_vector(o.at("q"), "q");
  c.q_from_cg = get<bool>(o, "q_from_cg");
  c.epsilon = get<double>(o, "epsilon");
  c.initial_gradient_norm = get<double>(o, "initial_gradient_norm");
  if (get<bool>(o, "has_lipschitz")) c.lipschitz = get<double>(o, "lipschitz");
  c.previous_loss = get<double>(o, "previous_loss");
  c.secant.previous_theta = decode_vector(o.at("secant_theta"), "secant theta");
  c.secant.previous_gradient = decode_vector(o.at("secant_gradient"), "secant gradient");
  c.secant.previous_loss = get<double>(o, "secant_loss");
  c.secant.radius = get<double>(o, "secant_radius");
  c.secant.curvature = get<double>(o, "secant_curvature");
  c.secant.bounced = get<bool>(o, "secant_bounced");
  const auto decode_pairs = [](const json& pairs, std::vector<Vector>& s, std::vector<Vector>& y) {
    if (!pairs.is_array()) throw std::runtime_error("malformed memory");
    for (const json& pair : pairs) {
      if (!pair.is_array() || pair.size() != 2) throw std::runtime_error("malformed memory pair");
      s.push_back(decode_vector(pair[0], "memory s"));
      y.push_back(decode_vector(pair[1], "memory y"));
    }
  };
  decode_pairs(o.at("memory"), c.memory_s, c.memory_y);
  // Cross-validation folds after the first (absent in checkpoints of hold-out runs).
  if (o.contains("folds")) {
    if (!o.at("folds").is_array()) throw std::runtime_error("malformed folds");
    for (const json& entry : o.at("folds")) {
      if (!entry.is_object()) throw std::runtime_error("malformed fold");
      TuneCheckpoint::Fold fold;
      fold.w = decode_vector(entry.at("w"), "fold w");
      fold.q = decode_vector(entry.at("q"), "fold q");
      fold.q_from_cg = get<bool>(entry, "q_from_cg");
      fold.initial_gradient_norm = get<double>(entry, "initial_gradient_norm");
      decode_pairs(entry.at("memory"), fold.memory_s, fold.memory_y);
      c.folds.push_back(std::move(fold));
    }
  }
  return c;
}

}  // namespace

Fingerprint fingerprint(const TuneProblem& problem, const TuneOptions& options) {
  problem.validate();
  Fingerprint f;
  const auto add = [&f](std::string key, std::string value) {
    f.emplace_back(std::move(key), std::move(value));
  };
  add("train", describe(*problem.train));
  if (problem.folds.empty()) {
    add("validation", describe(*problem.validation));
  } else {
    add("folds", std::to_string(problem.folds.size()));
    for (std::size_t k = 0; k < problem.folds.size(); ++k) {
      add("fold " + std::to_string(k + 1) + " train", describe(*problem.folds[k].train));
      add("fold " + std::to_string(k + 1) + " validation", describe(*problem.folds[k].validation));
    }
  }
  add("test", problem.test != nullptr ? describe(*problem.test) : std::string("none"));
  std::string groups = "none";
  if (!problem.group_of.empty()) {
    Checksum sum;
    sum.add(problem.group_of.data(), sizeof(std::int32_t) * problem.group_of.size());
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%lld, checksum %016llx",
                  static_cast<long long>(problem.groups),
                  static_cast<unsigned long long>(sum.value()));
    groups = buffer;
  }
  add("groups", groups);
  // Every option that changes the computation, from the table (so none can be forgotten).
  for (const TuneOptionSpec& spec : tune_option_table()) {
    if (spec.changes_result(options))
      add(std::string(spec.name), TuneOptionSpec::text(spec.get(options)));
  }
  return f;
}

void CheckpointWriter::on_checkpoint(const TuneCheckpoint& checkpoint) {
  if (!error_.empty()) return;
  try {
    save_checkpoint(path_, checkpoint);
    ++writes_;
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

void save_checkpoint(const std::filesystem::path& path, const TuneCheckpoint& checkpoint) {
  const std::vector<std::uint8_t> bytes = json::to_cbor(encode(checkpoint));
  write_file_atomically(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

TuneCheckpoint load_checkpoint(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(path.string() +
                             ": cannot open the checkpoint: " + std::strerror(errno));
  }
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path.string() + ": cannot read the checkpoint");
  try {
    return decode_checkpoint(json::from_cbor(bytes));
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": not a readable shine checkpoint (" +
                             std::string(e.what()) + ")");
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

}  // namespace shine::outer
