// `shine predict`: labels or probabilities of a saved model on a LIBSVM file, and its metrics.
#include <boost/program_options.hpp>
#include <charconv>
#include <ostream>

#include "cli.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "shine/core/atomic_file.hpp"
#include "shine/model/logistic_model.hpp"
#include "tuning.hpp"

namespace shine::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kPredictUsage =
    "usage: shine predict MODEL DATA [--output FILE] [--probabilities] [--weights FILE]\n"
    "                     [--ignore-labels]\n"
    "\n"
    "Applies a model saved by 'shine fit' or 'shine tune --model' to DATA (a LIBSVM file, plain\n"
    "or compressed, or a registered name), read with the model's feature count (features beyond\n"
    "it are ignored) and label mapping. Writes one predicted label per line (the original label\n"
    "values) to --output or stdout; with --probabilities, liblinear's layout: a first line\n"
    "'labels POS NEG', then 'LABEL P(POS) P(NEG)' per sample. The accuracy and mean log-loss\n"
    "against DATA's labels go to stdout when the predictions go to a file, else to stderr (so\n"
    "that stdout holds only predictions). With --weights (one weight >= 0 per row of DATA), they\n"
    "are weighted means, as 'shine tune' reports them. --ignore-labels reads DATA whatever its\n"
    "labels (e.g. placeholders) and reports no metrics.\n"
    "\n"
    "Examples:\n"
    "  shine predict model.json test.svm --output predictions.txt\n"
    "  shine predict model.json test.svm.xz --probabilities > probabilities.txt\n"
    "\n"
    "Exit codes: 0 success, 2 bad option, 3 bad model or data file.\n";

// Shortest text that reads back to `value`: 1 -> "1", -1 -> "-1", 0.5 -> "0.5".
std::string shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void write_predictions(std::ostream& out, const model::LogisticModel& model,
                       const data::Dataset& data, bool probabilities, int threads) {
  const Vector t = model.decision_function(data, threads);
  const std::string positive = shortest(model.labels.positive);
  const std::string negative = shortest(model.labels.negative);
  std::string text;
  text.reserve(static_cast<std::size_t>(t.size()) * (probabilities ? 24 : 3));
  if (probabilities) text += "labels " + positive + " " + negative + "\n";
  char buffer[64];
  for (Index i = 0; i < t.size(); ++i) {
    text += t[i] > 0.0 ? positive : negative;
    if (probabilities) {
      // σ(t) and σ(−t) separately, so the smaller one keeps its precision.
      const double e = std::exp(-std::abs(t[i]));
      const double large = 1.0 / (1.0 + e);
      const double small = e / (1.0 + e);
      std::snprintf(buffer, sizeof buffer, " %.6g %.6g", t[i] >= 0.0 ? large : small,
                    t[i] >= 0.0 ? small : large);
      text += buffer;
    }
    text += '\n';
  }
  out << text;
}

}  // namespace

int predict_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  po::options_description options("shine predict options");
  options.add_options()("output,o", po::value<std::string>(),
                        "write the predictions here (default: stdout)")(
      "probabilities,p", "also write the probability of each label")(
      "ignore-labels", "DATA's labels are placeholders: accept any, report no metrics")(
      "weights", po::value<std::string>(),
      "sample weights of DATA's rows (one number >= 0 per line): weighted metrics")(
      "threads", po::value<int>()->default_value(0), "threads (0: all cores)")(
      "quiet,q", "do not report the metrics");
  po::variables_map vm;
  if (!parse_options(args, options, {"MODEL", "DATA"}, vm, out, kPredictUsage)) return kSuccess;
  const int threads = vm["threads"].as<int>();
  check_by_row("--threads", "objective.num_threads", threads);
  const bool to_file = vm.count("output") != 0U;
  if (to_file) check_output_path(vm["output"].as<std::string>(), "--output");
  const bool ignore_labels = vm.count("ignore-labels") != 0U;

  const model::LogisticModel model = model::load_json(vm["MODEL"].as<std::string>());
  data::ReadOptions read = model.read_options();
  if (ignore_labels) read.labels.reset();
  LoadedData loaded;
  try {
    loaded = load_dataset(vm["DATA"].as<std::string>(), read, "test");
  } catch (const data::UnexpectedLabelError& e) {
    throw data::ParseError(e.file(), e.line(), e.column(),
                           e.problem() + "; the model was trained on labels " +
                               model.labels.to_string() +
                               " (use --ignore-labels if DATA's labels are placeholders)");
  }
  if (vm.count("weights") != 0U)
    data::attach_weight_file(loaded.data, vm["weights"].as<std::string>());
  const bool probabilities = vm.count("probabilities") != 0U;

  if (to_file) {
    AtomicFile file(vm["output"].as<std::string>());
    write_predictions(file.stream(), model, loaded.data, probabilities, threads);
    file.commit();
  } else {
    write_predictions(out, model, loaded.data, probabilities, threads);
  }
  if (!ignore_labels && vm.count("quiet") == 0U) {
    const model::Metrics m = model.evaluate(loaded.data, threads);
    std::ostream& report = to_file ? out : err;
    if (loaded.data.weighted()) {
      report << format("accuracy %.4f %% (weighted; %s/%s rows right)   log-loss %.6f (weighted)\n",
                       100.0 * m.accuracy, with_commas(m.correct).c_str(),
                       with_commas(m.rows).c_str(), m.log_loss);
    } else {
      report << format("accuracy %.4f %% (%s/%s)   log-loss %.6f\n", 100.0 * m.accuracy,
                       with_commas(m.correct).c_str(), with_commas(m.rows).c_str(), m.log_loss);
    }
    if (loaded.report.dropped_entries > 0) {
      report << "note: " << with_commas(loaded.report.dropped_entries)
             << " entries beyond the model's " << with_commas(model.n_features())
             << " features were ignored\n";
    }
  }
  return kSuccess;
}

}  // namespace shine::cli
