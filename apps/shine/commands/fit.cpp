// `shine fit`: fit one L2-regularized logistic regression at a given lambda and save it.
#include <boost/program_options.hpp>
#include <cmath>
#include <optional>
#include <ostream>

#include "cli.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "interrupt.hpp"
#include "shine/core/timer.hpp"
#include "shine/estimator.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/objective/inner_objective.hpp"
#include "tuning.hpp"

namespace shine::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kFitUsage =
    "usage: shine fit TRAIN (--lambda L | --C C) --model FILE [--intercept] [--test FILE]\n"
    "                 [--liblinear FILE] [OPTIONS]\n"
    "\n"
    "Fits L2-regularized logistic regression on TRAIN (a LIBSVM file or a registered name):\n"
    "minimizes  sum_i c_i log(1 + exp(-y_i x_i'w)) + lambda/2 |w|^2  by L-BFGS from w = 0 (c_i\n"
    "the sample weights of --weights and --class-weight, 1 without them), and saves\n"
    "the model as JSON (--model) and, optionally, in liblinear's format (--liblinear). --C is\n"
    "liblinear's parameter: C = 1/lambda. With --test, reports the log-loss and accuracy there.\n"
    "The reported metrics are weighted means with weights (--test-weights and --class-weight on\n"
    "the --test file, as for 'shine tune').\n"
    "\n"
    "Examples:\n"
    "  shine fit train.svm --lambda 0.05 --model model.json\n"
    "  shine fit datasets/spamassassin/spamassassin.uni.svm.xz --C 20 --model m.json \\\n"
    "      --liblinear m.liblinear --test test.svm\n"
    "\n"
    "Exit codes: 0 success, 2 bad option, 3 bad input file, 4 the solve failed (no model\n"
    "written), 130 interrupted (the model reached so far is written).\n";

std::string metrics_text(const model::Metrics& m, bool weighted) {
  return format("loss %.6f   accuracy %.2f %%   (%s rows%s)", m.log_loss, 100.0 * m.accuracy,
                with_commas(m.rows).c_str(), weighted ? ", weighted" : "");
}

}  // namespace

int fit_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  po::options_description options("shine fit options");
  options.add_options()("lambda", po::value<double>(), "L2 regularization lambda > 0")(
      "C", po::value<double>(), "liblinear's C > 0 (lambda = 1/C)")(
      "model", po::value<std::string>(), "where to save the model (JSON); required")(
      "liblinear", po::value<std::string>(), "also export the model in liblinear's text format")(
      "intercept", "fit an unregularized intercept")(
      "test", po::value<std::string>(), "report log-loss and accuracy on this labelled file")(
      "tolerance", po::value<double>()->default_value(1e-6, "1e-6"),
      "stop when |gradient| <= tolerance * |gradient at w = 0|")(
      "max-iterations", po::value<int>()->default_value(1000), "L-BFGS iterations")(
      "memory", po::value<int>()->default_value(10), "L-BFGS memory")(
      "threads", po::value<int>()->default_value(0),
      "threads of the sparse kernels (0: all cores)")(
      "weights", po::value<std::string>(),
      "sample weights of TRAIN's rows: one number >= 0 per line, in TRAIN's order")(
      "test-weights", po::value<std::string>(), "sample weights of the --test file")(
      "class-weight", po::value<std::string>(),
      "'balanced' (n / (2 n_class) from TRAIN) or NEG,POS: weights of the classes mapped to -1 "
      "and +1, on TRAIN and --test, times the sample weights")("quiet,q",
                                                               "print nothing but errors");
  po::variables_map vm;
  if (!parse_options(args, options, {"TRAIN"}, vm, out, kFitUsage)) return kSuccess;

  const bool has_lambda = vm.count("lambda") != 0U;
  const bool has_c = vm.count("C") != 0U;
  if (has_lambda == has_c) {
    throw UsageError(has_lambda ? "give --lambda or --C, not both (lambda = 1/C)"
                                : "--lambda L (or --C C) is required: the regularization to fit");
  }
  const double lambda = has_lambda ? positive_option(vm, "lambda") : 1.0 / positive_option(vm, "C");
  const outer::OptionRange log_lambda = log_lambda_range();
  if (!log_lambda.contains(std::log(lambda))) {
    throw UsageError(format("lambda = %g is out of range: log(lambda) must be in %s", lambda,
                            log_lambda.text().c_str()));
  }
  if (vm.count("model") == 0U) {
    throw UsageError("--model FILE is required: where to save the fitted model");
  }
  inner::LbfgsOptions lbfgs;
  lbfgs.tolerance = vm["tolerance"].as<double>();
  if (!(std::isfinite(lbfgs.tolerance) && lbfgs.tolerance >= 0.0 && lbfgs.tolerance < 1.0)) {
    throw UsageError(format("--tolerance must be in [0, 1), got %g", lbfgs.tolerance));
  }
  // The solver's options are held to the ranges of the tuning option table's rows for the same
  // fields (the tuner's inner solves).
  lbfgs.max_iterations = vm["max-iterations"].as<int>();
  check_by_row("--max-iterations", "lbfgs.max_iterations", lbfgs.max_iterations);
  lbfgs.memory = vm["memory"].as<int>();
  check_by_row("--memory", "memory", lbfgs.memory);
  objective::ObjectiveOptions objective_options;
  objective_options.fit_intercept = vm.count("intercept") != 0U;
  objective_options.num_threads = vm["threads"].as<int>();
  check_by_row("--threads", "objective.num_threads", objective_options.num_threads);
  check_output_path(vm["model"].as<std::string>(), "--model");
  if (vm.count("liblinear") != 0U)
    check_output_path(vm["liblinear"].as<std::string>(), "--liblinear");
  const bool quiet = vm.count("quiet") != 0U;

  if (vm.count("test-weights") != 0U && vm.count("test") == 0U) {
    throw UsageError("--test-weights needs --test FILE");
  }
  std::optional<ClassWeightOption> class_weight;
  if (vm.count("class-weight") != 0U) {
    class_weight = parse_class_weight(vm["class-weight"].as<std::string>());
  }
  LoadedData train = load_dataset(vm["TRAIN"].as<std::string>(), {});
  if (vm.count("weights") != 0U) {
    data::attach_weight_file(train.data, vm["weights"].as<std::string>());
  }
  std::optional<LoadedData> test;
  if (vm.count("test") != 0U) {
    // The test file in the training file's feature space and labels.
    test = load_like_train(vm["test"].as<std::string>(), train.data, "test");
    if (vm.count("test-weights") != 0U) {
      data::attach_weight_file(test->data, vm["test-weights"].as<std::string>());
    }
  }
  if (class_weight) {
    // Balanced weights come from TRAIN's classes; they weigh the test rows too, as in `tune`.
    if (test) {
      apply_class_weight(*class_weight, train.data, {&test->data});
    } else {
      apply_class_weight(*class_weight, train.data, {});
    }
  }
  InterruptGuard interrupt;
  FitOptions fit_options;
  fit_options.objective = objective_options;
  fit_options.lbfgs = lbfgs;
  fit_options.interrupt = interrupt.flag();
  const Timer timer;
  Fitted fitted = shine::fit(train.data, lambda, fit_options);
  const double seconds = timer.seconds();
  const bool interrupted = fitted.summary.termination == Termination::Interrupted;
  const inner::InnerSummary& summary = fitted.summary;

  if (summary.termination == Termination::NumericalError ||
      !(fitted.model.weights.allFinite() && std::isfinite(fitted.model.intercept))) {
    err << "shine: the solve failed: " << summary.message
        << "; no model was written (try a larger --lambda, and check the data for huge "
           "values)\n";
    return kNoResult;
  }
  model::LogisticModel& model = fitted.model;
  model.description = command_line("fit", args);
  model::save_json(model, vm["model"].as<std::string>());
  int code = interrupted ? kInterrupted : kSuccess;
  if (vm.count("liblinear") != 0U) {
    try {
      model::export_liblinear(model, vm["liblinear"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      err << "shine: --liblinear: " << e.what() << '\n';
      if (code == kSuccess) code = kInputError;
    }
  }
  if (!quiet) {
    out << format("lambda       %.6g   (C = %.6g)\n", lambda, 1.0 / lambda);
    out << "solve        " << summary.brief() << '\n';
    out << "train        "
        << metrics_text(model.evaluate(train.data, objective_options.num_threads),
                        train.data.weighted())
        << '\n';
  }
  if (!is_success(summary.termination) && !interrupted) {
    err << "shine: warning: the solve did not reach --tolerance: " << summary.message << '\n';
  }
  if (test && !quiet) {
    out << "test         "
        << metrics_text(model.evaluate(test->data, objective_options.num_threads),
                        test->data.weighted())
        << '\n';
  }
  if (!quiet) {
    out << "time         " << human_seconds(seconds) << " fitting, " << human_seconds(train.seconds)
        << " loading\n";
    out << "model        " << vm["model"].as<std::string>() << '\n';
    if (vm.count("liblinear") != 0U && code != kInputError) {
      out << "liblinear    " << vm["liblinear"].as<std::string>() << '\n';
    }
  }
  return code;
}

}  // namespace shine::cli
