#pragma once
/// @file
/// A fitted logistic-regression model: predictions, a JSON file format and an export to
/// liblinear's text model format.
///
/// The model scores a sample x (d features) by the decision value t = xᵀw + b and predicts the
/// **positive** original label when t > 0, the negative one otherwise (liblinear's rule), with
/// probability P(positive | x) = σ(t). Weights live in the ±1 space of the training data; the
/// label mapping (`data::LabelMap`) translates back to the values of the source file.
///
/// **JSON model file** (`save_json` / `load_json`), one object:
///
/// | key             | type                 | meaning                                           |
/// |-----------------|----------------------|---------------------------------------------------|
/// | `format`        | string               | `"shine-logistic-model"`                          |
/// | `version`       | integer              | 1                                                 |
/// | `n_features`    | integer              | d                                                 |
/// | `weights`       | array of d numbers   | w, feature j at index j − 1 (LIBSVM index j)      |
/// | `intercept`     | number               | b (0 without an intercept)                        |
/// | `fit_intercept` | boolean              | whether b was fitted                              |
/// | `lambda`        | number, or array     | λ (one), or one λ per group                       |
/// | `group_of`      | array of d integers  | only with groups: the 0-based group of feature j  |
/// | `labels`        | object               | `{"negative": v, "positive": v}`: the original    |
/// |                 |                      | label values mapped to −1 and +1                  |
/// | `description`   | string               | optional: how the model was made                  |
///
/// Unknown keys are ignored on load, so later versions may add keys. Numbers are written in the
/// shortest form that reads back to the identical double. Files are written atomically.
///
/// **liblinear export** (`export_liblinear`): `solver_type L2R_LR`, `nr_class 2`,
/// `label P N` (the positive original label first, so that liblinear's "decision value > 0 →
/// first label" rule matches ours and w keeps its sign), `nr_feature d`, `bias -1` without an
/// intercept or `bias 1` with it (the intercept then follows the d weights, as liblinear's weight
/// of its constant feature), then `w` and one weight per line. liblinear stores labels as
/// integers: the export refuses labels that are not.
///
/// Example:
/// @code
/// auto model = shine::model::LogisticModel::from_solution(result.w, false, result.lambda,
///                                                         train.labels);
/// shine::model::save_json(model, "model.json");
/// const auto loaded = shine::model::load_json("model.json");
/// const auto test = shine::data::read_libsvm("test.svm", loaded.read_options());
/// std::vector<double> labels = loaded.predict_labels(test);
/// shine::model::Metrics m = loaded.evaluate(test);  // m.log_loss, m.accuracy (weighted)
/// @endcode

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/libsvm_io.hpp"

namespace shine::model {

/// A model file that cannot be used; `what()` reads `"<file>: <problem>"`.
class ModelError : public std::runtime_error {
 public:
  /// `file`: the model file's path; `problem`: what is wrong with it and what to do.
  ModelError(const std::string& file, const std::string& problem)
      : std::runtime_error(file + ": " + problem) {}
};

/// Mean log-loss and accuracy of a model on labelled data, weighted by the data's sample weights
/// (`data::Dataset::weights`; every sample weighs 1 without them): the metrics the tuner reports
/// (`objective::evaluate_heldout`).
struct Metrics {
  Index rows = 0;     ///< Samples scored.
  Index correct = 0;  ///< Samples whose predicted label is the true one (a count, unweighted).
  /// Σ c_i over the samples: their weight (`rows` without sample weights).
  double total_weight = 0.0;
  /// Σ c_i log(1 + exp(−y_i t_i)) / Σ c_i (natural log): the mean log-loss, per sample without
  /// weights; NaN when no sample weighs more than 0.
  double log_loss = std::numeric_limits<double>::quiet_NaN();
  /// The weight of the samples predicted right over `total_weight` (correct / rows without
  /// weights); NaN when no sample weighs more than 0.
  double accuracy = std::numeric_limits<double>::quiet_NaN();
};

/// A binary logistic-regression model (see the file comment).
struct LogisticModel {
  /// w: one weight per feature (d = `n_features()`), in the ±1 label space.
  Vector weights;
  /// b, the unregularized intercept (0 when `fit_intercept` is false).
  double intercept = 0.0;
  /// Whether b was fitted. Default false.
  bool fit_intercept = false;
  /// λ the model was fitted with: one entry (a global λ) or one per group. Informative only
  /// (predictions do not use it). Entries > 0.
  Vector lambda = Vector::Ones(1);
  /// Empty (one global λ), or d entries: the 0-based group of each feature, in
  /// [0, lambda.size()).
  std::vector<std::int32_t> group_of;
  /// Original label values of the −1 and +1 classes.
  data::LabelMap labels;
  /// Free text: how the model was made (command, data, method). May be empty.
  std::string description;

  /// d.
  [[nodiscard]] Index n_features() const noexcept { return weights.size(); }

  /// The model of a solution vector w of the objective layout (d weights, then the intercept
  /// last when `fit_intercept`), as `outer::TuneResult::w` or `inner::InnerResult::w`.
  static LogisticModel from_solution(const Vector& w, bool fit_intercept, Vector lambda,
                                     data::LabelMap labels,
                                     std::vector<std::int32_t> group_of = {});

  /// Throws `std::invalid_argument` when a field is inconsistent: no weights, a non-finite weight
  /// or intercept, a λ ≤ 0 or not finite, a group map of the wrong size or with a group out of
  /// range, labels equal or not finite.
  void validate() const;

  /// Options to read a data file for this model: `n_features` = d with extra features dropped
  /// (as liblinear ignores them) and the model's label mapping.
  [[nodiscard]] data::ReadOptions read_options() const;

  /// t_i = x_iᵀw + b for every row of `X` (CSR). Columns beyond d have weight 0 (ignored); `X`
  /// may have fewer columns than d. `num_threads`: 0 = all cores.
  [[nodiscard]] Vector decision_function(const SparseMatrix& X, int num_threads = 0) const;
  /// The decision values on the rows of `data` (its X), as above.
  [[nodiscard]] Vector decision_function(const data::Dataset& data, int num_threads = 0) const {
    return decision_function(data.X, num_threads);
  }

  /// P(positive label | x_i) = σ(t_i), computed without overflow.
  [[nodiscard]] Vector probabilities(const data::Dataset& data, int num_threads = 0) const;

  /// Predicted labels in the ±1 space: +1 when t_i > 0, else −1.
  [[nodiscard]] Vector predict_signs(const data::Dataset& data, int num_threads = 0) const;

  /// Predicted labels as the original values (`labels.positive` when t_i > 0, else
  /// `labels.negative`).
  [[nodiscard]] std::vector<double> predict_labels(const data::Dataset& data,
                                                   int num_threads = 0) const;

  /// Mean log-loss and accuracy on `data`, weighted by its sample weights (see `Metrics`), whose
  /// ±1 labels must follow this model's mapping (read it with `read_options()`). Columns beyond d
  /// are ignored, as in `decision_function`. Throws `std::invalid_argument` when `data.labels`
  /// differs from `labels`.
  [[nodiscard]] Metrics evaluate(const data::Dataset& data, int num_threads = 0) const;
};

/// The model as JSON text (the format of the file comment), ending with a newline. Throws
/// `std::invalid_argument` when the model does not validate.
std::string to_json(const LogisticModel& model);

/// Parses JSON text of the file format; `source` names the text in errors. Throws `ModelError`
/// saying what is wrong (not JSON, a missing key, a wrong type, sizes that disagree, a newer
/// version).
LogisticModel from_json(std::string_view text, const std::string& source = "model");

/// Writes `to_json(model)` to `path` atomically (temporary + rename). Throws
/// `std::invalid_argument` for an invalid model and `std::runtime_error` naming the path on I/O
/// errors (an existing file is then left intact).
void save_json(const LogisticModel& model, const std::filesystem::path& path);

/// Reads a model file. Throws `std::runtime_error` naming the path when it cannot be read and
/// `ModelError` when its content is not a valid model.
LogisticModel load_json(const std::filesystem::path& path);

/// Writes the model in liblinear's text model format (see the file comment) to `out`. λ and the
/// groups are not part of that format and are left out. Throws `std::invalid_argument` when the
/// model does not validate or a label is not an integer in the range of `int`.
void write_liblinear(const LogisticModel& model, std::ostream& out);

/// Same, to a file, atomically. Throws `std::invalid_argument` as `write_liblinear` and
/// `std::runtime_error` naming the path on I/O errors.
void export_liblinear(const LogisticModel& model, const std::filesystem::path& path);

}  // namespace shine::model
