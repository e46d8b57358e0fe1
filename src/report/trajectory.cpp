#include "shine/report/trajectory.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "shine/core/atomic_file.hpp"
#include "shine/core/communicator.hpp"
#include "shine/outer/tune_option_table.hpp"

namespace shine::report {
namespace {

using nlohmann::ordered_json;
using Json = ordered_json;

// A finite number, or null: JSON has no NaN or infinity.
Json number(double value) {
  return std::isfinite(value) ? Json(value) : Json(nullptr);
}

// A number for one entry, an array for several, null for none.
Json scalar_or_array(const Vector& v) {
  if (v.size() == 0) return nullptr;
  if (v.size() == 1) return number(v[0]);
  Json array = Json::array();
  for (Index i = 0; i < v.size(); ++i)
    array.push_back(number(v[i]));
  return array;
}

Json to_json_value(const Value& value) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          return number(v);
        } else {
          return v;
        }
      },
      value);
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

// Every option of the table, nested at the dots of its name ("lbfgs.c1" → config.lbfgs.c1), with
// the value in force; then what the run derived from them.
Json config_json(const outer::TuneOptions& o, const outer::TuneInfo& info) {
  Json config = Json::object();
  for (const outer::TuneOptionSpec& spec : outer::tune_option_table()) {
    Json* node = &config;
    std::string_view name = spec.name;
    for (std::size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.')) {
      node = &(*node)[std::string(name.substr(0, dot))];
      name.remove_prefix(dot + 1);
    }
    (*node)[std::string(name)] = std::visit(
        [](const auto& v) -> Json {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>) {
            return number(v);
          } else {
            return v;
          }
        },
        spec.get(o));
  }
  config["hyperparameters"] = info.hyperparameters;
  config["folds"] = info.folds;      // 0: a hold-out validation set
  config["threads"] = info.threads;  // kernels and solver sweeps alike
  config["warm_memory_in_force"] = info.warm_memory;
  config["pair_precision_in_force"] = std::string(inner::to_string(info.pair_precision));
  config["fold_workers_in_force"] = info.fold_workers;
  config["inner_tolerance_formula"] =
      !outer::is_hypergradient_method(o.method) ? "baseline_tolerance * |grad h(warm start)|"
      : o.inner_tolerance_rule == outer::InnerToleranceRule::Paper
          ? "epsilon_k * |grad h(w0, theta0)| * exp(min(theta - theta0))"
          : "inner_tolerance * |grad h(warm start)|";
  return config;
}

Json inner_json(const inner::InnerSummary& s) {
  return {{"termination", std::string(to_string(s.termination))},
          {"iterations", s.iterations},
          {"function_evaluations", s.function_evaluations},
          {"gradient_evaluations", s.gradient_evaluations},
          {"hessian_products", s.hessian_products},
          {"data_passes", s.data_passes},
          {"initial_gradient_norm", number(s.initial_gradient_norm)},
          {"final_gradient_norm", number(s.final_gradient_norm)},
          {"tolerance", number(s.tolerance)},
          {"seconds", number(s.total_seconds)}};
}

Json hypergradient_summary_json(const hypergrad::HypergradSummary& s) {
  return {{"method", std::string(hypergrad::to_string(s.method))},
          {"termination", std::string(to_string(s.termination))},
          {"message", s.message},
          {"cg_iterations", s.cg_iterations},
          {"cg_budget", s.cg_budget},
          {"hessian_products", s.hessian_products},
          {"relative_residual",
           s.relative_residual >= 0.0 ? number(s.relative_residual) : Json(nullptr)},
          {"memory_pairs", s.memory_pairs},
          {"empty_memory", s.empty_memory},
          {"fallback_fired", s.fallback_fired},
          {"fallback_reason", s.fallback_reason},
          {"opa_pairs_accepted", s.opa.pairs_accepted},
          {"seconds", number(s.seconds + s.opa.seconds)}};
}

Json record_json(const outer::OuterRecord& r, bool hypergradient_method) {
  Json record = Json::object();
  record["iteration"] = r.iteration;
  record["theta"] = scalar_or_array(r.theta);
  record["lambda"] = scalar_or_array(r.lambda);
  record["validation_loss"] = number(r.validation_loss);
  record["validation_accuracy"] = number(r.validation_accuracy);
  record["test_loss"] = number(r.test_loss);
  record["test_accuracy"] = number(r.test_accuracy);
  record["returned"] = r.returned >= 0 ? Json(r.returned) : Json(nullptr);
  record["provisional"] = r.provisional;
  record["hypergradient"] = scalar_or_array(r.hypergradient);
  record["hypergradient_norm"] = number(r.hypergradient_norm);
  record["tolerance"] = number(r.tolerance);
  record["step"] =
      hypergradient_method ? Json(std::string(outer::to_string(r.step))) : Json(nullptr);
  record["lipschitz"] = hypergradient_method ? number(r.lipschitz) : Json(nullptr);
  record["curvature"] = hypergradient_method ? number(r.curvature) : Json(nullptr);
  record["trust_radius"] = hypergradient_method ? number(r.trust_radius) : Json(nullptr);
  record["inner"] = inner_json(r.inner);
  record["hypergradient_summary"] =
      hypergradient_method ? hypergradient_summary_json(r.hypergradient_summary) : Json(nullptr);
  record["data_passes"] = r.data_passes;
  record["iteration_seconds"] = number(r.iteration_seconds);
  record["elapsed_seconds"] = number(r.elapsed_seconds);
  return record;
}

Json trajectory_object(const Trajectory& t) {
  const outer::TuneResult& result = t.result;
  const bool hypergradient = outer::is_hypergradient_method(t.options.method);
  Json document = Json::object();
  document["format"] = "shine-trajectory";
  // 2: the configuration holds every option of the option table, named as its row.
  document["version"] = 2;
  document["complete"] = t.complete;

  Json run = Json::object();
  run["tool"] = t.run.tool;
  run["version"] = t.run.version;
  run["command"] = t.run.command;
  for (const auto& [key, value] : t.run.extra)
    run[key] = to_json_value(value);
  document["run"] = std::move(run);

  Json datasets = Json::array();
  for (const DatasetDescription& d : t.run.datasets) {
    Json entry = {{"role", d.role},         {"source", d.source}, {"rows", d.rows},
                  {"features", d.features}, {"nnz", d.nnz},       {"positives", d.positives}};
    if (std::isfinite(d.total_weight)) entry["total_weight"] = d.total_weight;
    datasets.push_back(std::move(entry));
  }
  document["datasets"] = std::move(datasets);
  document["labels"] = {{"negative", number(t.run.labels.negative)},
                        {"positive", number(t.run.labels.positive)}};
  document["config"] = config_json(t.options, t.info);

  document["termination"] =
      t.complete ? Json(std::string(to_string(result.termination))) : Json(nullptr);
  document["message"] = result.message;
  document["has_result"] = result.has_result;
  document["best_iteration"] = result.has_result ? Json(result.best_iteration) : Json(nullptr);
  document["theta"] = result.has_result ? scalar_or_array(result.theta) : Json(nullptr);
  document["lambda"] = result.has_result ? scalar_or_array(result.lambda) : Json(nullptr);
  document["validation_loss"] = number(result.validation_loss);
  document["validation_accuracy"] = number(result.validation_accuracy);
  document["test_loss"] = number(result.test_loss);
  document["test_accuracy"] = number(result.test_accuracy);
  document["elapsed_seconds"] = number(result.elapsed_seconds);
  document["rejected_steps"] = result.rejected_steps;
  document["fallbacks"] = result.fallbacks;
  document["non_finite_hypergradients"] = result.non_finite_hypergradients;
  Json records = Json::array();
  for (const outer::OuterRecord& r : result.records)
    records.push_back(record_json(r, hypergradient));
  document["records"] = std::move(records);
  return document;
}

}  // namespace

DatasetDescription DatasetDescription::of(const data::Dataset& data, std::string role,
                                          std::string source) {
  DatasetDescription d;
  d.role = std::move(role);
  d.source = std::move(source);
  d.features = data.features();
  if (core::is_distributed(data.communicator)) {
    // One process's rows: the whole dataset's counts, summed over the group (exact below 2^53).
    std::array<double, 4> sums{static_cast<double>(data.rows()), static_cast<double>(data.nnz()),
                               static_cast<double>(data.positives()), data.total_weight()};
    data.communicator->sum(sums);
    d.rows = static_cast<Index>(sums[0]);
    d.nnz = static_cast<Index>(sums[1]);
    d.positives = static_cast<Index>(sums[2]);
    if (data.weighted()) d.total_weight = sums[3];
    return d;
  }
  d.rows = data.rows();
  d.nnz = data.nnz();
  d.positives = data.positives();
  if (data.weighted()) d.total_weight = data.total_weight();
  return d;
}

std::string to_json(const Trajectory& trajectory) {
  return trajectory_object(trajectory).dump(2) + "\n";
}

std::string runs_json(const Fields& header, std::span<const Trajectory> runs) {
  Json document = Json::object();
  document["format"] = "shine-runs";
  document["version"] = 2;
  for (const auto& [key, value] : header)
    document[key] = to_json_value(value);
  Json array = Json::array();
  for (const Trajectory& t : runs)
    array.push_back(trajectory_object(t));
  document["runs"] = std::move(array);
  return document.dump(1) + "\n";
}

void write_json_file(const std::filesystem::path& path, const std::string& text) {
  write_file_atomically(path, text);
}

JsonTrajectoryWriter::JsonTrajectoryWriter(std::filesystem::path path, RunDescription run)
    : path_(std::move(path)) {
  trajectory_.run = std::move(run);
  bool has_start = false;
  for (const auto& field : trajectory_.run.extra)
    has_start = has_start || field.first == "started";
  if (!has_start)
    trajectory_.run.extra.insert(trajectory_.run.extra.begin(), {"started", utc_now()});
}

void JsonTrajectoryWriter::on_begin(const outer::TuneInfo& info) {
  trajectory_.info = info;
  if (info.options != nullptr) trajectory_.options = *info.options;
  trajectory_.info.options = nullptr;
  trajectory_.options.interrupt = nullptr;
  trajectory_.complete = false;
  trajectory_.result = {};
  trajectory_.result.message = "running";
}

void JsonTrajectoryWriter::on_resume(std::span<const outer::OuterRecord> previous) {
  for (const outer::OuterRecord& record : previous)
    add(record);
}

bool JsonTrajectoryWriter::on_iteration(const outer::OuterRecord& record) {
  add(record);
  if (trajectory_.info.hyperparameters <= kCheckpointMaxHyperparameters) write();
  return false;
}

void JsonTrajectoryWriter::add(const outer::OuterRecord& record) {
  outer::TuneResult& result = trajectory_.result;
  result.records.push_back(record);
  result.elapsed_seconds = record.elapsed_seconds;
  // Until the run ends, the file names the evaluation it would return if it ended here.
  if (record.returned >= 0 && static_cast<std::size_t>(record.returned) < result.records.size()) {
    const outer::OuterRecord& chosen = result.records[static_cast<std::size_t>(record.returned)];
    result.has_result = true;
    result.best_iteration = record.returned;
    result.theta = chosen.theta;
    result.lambda = chosen.lambda;
    result.validation_loss = chosen.validation_loss;
    result.validation_accuracy = chosen.validation_accuracy;
    result.test_loss = chosen.test_loss;
    result.test_accuracy = chosen.test_accuracy;
  }
}

void JsonTrajectoryWriter::on_end(const outer::TuneResult& result) {
  trajectory_.result = result;
  trajectory_.result.w = Vector();  // the weights belong in the model file, not here
  trajectory_.complete = true;
  write();
}

void JsonTrajectoryWriter::write() {
  if (!error_.empty()) return;
  try {
    write_json_file(path_, to_json(trajectory_));
    ++writes_;
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

}  // namespace shine::report
