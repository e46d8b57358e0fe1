// `shine tune`: tune the L2 regularization on a validation set, report the held-out result.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <ostream>
#include <tuple>

#include "cli.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "interrupt.hpp"
#include "progress.hpp"
#include "shine/data/distributed.hpp"
#include "shine/data/feature_groups.hpp"
#include "shine/data/split.hpp"
#include "shine/estimator.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/outer/tune_option_table.hpp"
#include "shine/report/trajectory.hpp"
#include "tuning.hpp"

namespace shine::cli {
namespace {

namespace po = boost::program_options;

// The library's defaults, shown and used as the flags' defaults.
const outer::TuneOptions kDefaults{};

constexpr const char* kTuneUsageRest =
    "                  [--json FILE] [--model FILE] [OPTIONS]\n"
    "\n"
    "Tunes lambda, the L2 regularization of logistic regression, to minimize the log-loss on a\n"
    "validation set (the outer objective); the model is fitted on TRAIN (the inner problem). The\n"
    "test set is only reported, never used to choose lambda. A missing validation or test set is\n"
    "split off TRAIN with the --split fractions (seeded by --seed). TRAIN is a LIBSVM file "
    "(plain,\n"
    "xz, bzip2 or gzip) or a registered dataset name; the other files are read with TRAIN's\n"
    "feature count and label mapping.\n"
    "\n"
    "One progress line per outer iteration goes to stderr (lambda, validation and held-out loss,\n"
    "|hypergradient|, inner iterations, elapsed time); the summary goes to stdout. Ctrl-C stops\n"
    "the run, writes --json/--model with the best lambda found so far and exits with 130.\n"
    "\n"
    "--checkpoint FILE saves the state after every outer iteration; --resume FILE continues a\n"
    "run that was stopped (Ctrl-C, a time budget, a kill, a crash) with the same data and options\n"
    "and reaches the same result as a run that was never stopped.\n"
    "\n"
    "Examples:\n"
    "  shine tune datasets/spamassassin/spamassassin.uni.svm.xz\n"
    "  shine tune train.svm --validation val.svm --test test.svm --method hoag --json run.json\n"
    "  shine tune spamassassin --method grid --candidates 20 --model model.json\n"
    "  shine tune train.svm.xz --groups groups.txt --max-iterations 50 --time-budget 60\n"
    "  shine tune train.svm --weights train.weights --class-weight balanced\n"
    "  shine tune train.svm --cv 5 --test test.svm --model model.json\n"
    "  shine tune train.svm --checkpoint run.ckpt --json run.json   (then, after a stop:)\n"
    "  shine tune train.svm --resume run.ckpt --json run.json\n"
    "\n"
    "Exit codes: 0 success, 2 bad option, 3 bad input file, 4 no usable result, 130 interrupted.\n";

// The usage, with the methods from the list of methods.
std::string tune_usage() {
  std::string methods;
  for (const outer::TuneMethod method : outer::all_tune_methods())
    methods += (methods.empty() ? "" : "|") + std::string(outer::to_string(method));
  return "usage: shine tune TRAIN [--validation FILE] [--test FILE] [--split 0.9,0.05,0.05]\n"
         "                  [--method " +
         methods + "]\n" + kTuneUsageRest;
}

void check_range(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

// Whether a named option has the value "on" (--warm-memory auto|on|off).
bool takes_on(const outer::TuneOptionSpec& spec) {
  return spec.kind == outer::OptionKind::Name &&
         std::find(spec.names.begin(), spec.names.end(), "on") != spec.names.end();
}

// The flags of the option table, in its order: one per row that names a flag. A switch whose
// default is off is a bare flag; one whose default is on takes on|off (bare: on), as does a
// named option that has the value "on"; every other value is parsed by its row, so that the
// ranges and messages are the library's.
po::options_description table_options() {
  po::options_description options("Tuning (TuneOptions; see docs/cli.md)");
  for (const outer::TuneOptionSpec& spec : outer::tune_option_table()) {
    if (spec.flag.empty()) continue;
    const std::string flag(spec.flag);
    const std::string help(spec.help);
    const std::string shown = outer::TuneOptionSpec::text(spec.get(kDefaults));
    if (spec.kind == outer::OptionKind::Switch) {
      if (shown == "false") {
        options.add_options()(flag.c_str(),
                              po::value<std::string>()->zero_tokens()->implicit_value("on"),
                              help.c_str());
      } else {
        options.add_options()(flag.c_str(),
                              po::value<std::string>()->default_value("on")->implicit_value("on"),
                              help.c_str());
      }
    } else if (spec.default_depends_on_method) {
      options.add_options()(flag.c_str(), po::value<std::string>(), help.c_str());
    } else if (takes_on(spec)) {
      // An on|off|... choice (--warm-memory): bare means on.
      options.add_options()(flag.c_str(),
                            po::value<std::string>()->default_value(shown)->implicit_value("on"),
                            help.c_str());
    } else {
      options.add_options()(flag.c_str(), po::value<std::string>()->default_value(shown),
                            help.c_str());
    }
  }
  return options;
}

bool given(const po::variables_map& vm, const std::string& flag) {
  return vm.count(flag) != 0U && !vm[flag].defaulted();
}

outer::TuneOptions options_from(const po::variables_map& vm) {
  outer::TuneOptions options;
  try {
    for (const outer::TuneOptionSpec& spec : outer::tune_option_table()) {
      const std::string flag(spec.flag);
      if (flag.empty() || vm.count(flag) == 0U) continue;
      if (spec.kind == outer::OptionKind::Switch && vm[flag].empty()) {
        spec.set(options, true);  // a bare switch
      } else if (given(vm, flag)) {
        spec.set(options, spec.parse(vm[flag].as<std::string>()));
      }
    }
  } catch (const outer::OptionError& e) {
    throw UsageError(e.describe(outer::OptionNaming::Flag));
  }
  // The schedule's flags: --rho belongs to the exponential schedule; a first tolerance below the
  // floor lowers the floor with it.
  if (options.schedule) {
    check_range(!given(vm, "rho") || options.schedule->kind == outer::ScheduleKind::Exponential,
                "--rho applies to the exponential schedule only");
    options.schedule->floor = std::min(options.schedule->floor, options.schedule->initial);
  }

  // The flags that are not one option each: --bounds sets both bounds, each within its row's
  // range; --threads both thread counts.
  const auto [lower, upper] = parse_pair(vm["bounds"].as<std::string>(), "--bounds");
  check_range(lower < upper, format("--bounds LO,HI needs LO < HI, got %g,%g", lower, upper));
  const outer::TuneOptionSpec& lower_row = table_row("step.lower_bound");
  check_range(
      lower_row.range.contains(lower) && table_row("step.upper_bound").range.contains(upper),
      format("--bounds must lie within %s %s, got %g,%g", log_lambda_range().text().c_str(),
             std::string(lower_row.note).c_str(), lower, upper));
  options.step.lower_bound = lower;
  options.step.upper_bound = upper;
  const double lambda0 = positive_option(vm, "lambda0");
  options.initial_theta = std::log(lambda0);
  check_range(options.initial_theta >= lower && options.initial_theta <= upper,
              format("--lambda0 %g is outside the bounds: log(%g) = %g is not in [%g, %g]", lambda0,
                     lambda0, options.initial_theta, lower, upper));
  const int threads = vm["threads"].as<int>();
  check_by_row("--threads", "objective.num_threads", threads);
  check_by_row("--threads", "lbfgs.num_threads", threads);
  options.objective.num_threads = threads;
  options.lbfgs.num_threads = threads;
  try {
    options.validate();
  } catch (const outer::OptionError& e) {
    throw UsageError(e.describe(outer::OptionNaming::Flag));
  }
  return options;
}

void print_summary(std::ostream& out, const outer::TuneResult& result, const Parts& parts,
                   const po::variables_map& vm) {
  const auto metrics = [](double loss, double accuracy, Index rows) {
    if (!std::isfinite(loss)) return std::string("-");
    return format("loss %.6f   accuracy %.2f %%   (%s rows)", loss, 100.0 * accuracy,
                  with_commas(rows).c_str());
  };
  out << "termination  " << to_string(result.termination) << ": " << result.message << '\n';
  if (result.has_result) {
    if (result.lambda.size() == 1) {
      out << format("lambda       %.6g   (log lambda %.4f, C = 1/lambda = %.6g)\n",
                    result.lambda[0], result.theta[0], 1.0 / result.lambda[0]);
    } else {
      out << format("lambdas      %lld groups, from %.4g to %.4g (geometric mean %.4g)\n",
                    static_cast<long long>(result.lambda.size()), result.lambda.minCoeff(),
                    result.lambda.maxCoeff(), std::exp(result.lambda.array().log().mean()));
    }
    out << "best at      evaluation " << result.best_iteration << " of " << result.records.size()
        << '\n';
    if (vm["cv"].as<int>() > 0) {
      out << "cv           "
          << metrics(result.validation_loss, result.validation_accuracy, parts.train_rows) << "   ("
          << vm["cv"].as<int>() << " folds)\n";
    } else {
      out << "validation   "
          << metrics(result.validation_loss, result.validation_accuracy, parts.validation_rows)
          << '\n';
    }
    out << "held-out     "
        << (parts.test_rows > 0 ? metrics(result.test_loss, result.test_accuracy, parts.test_rows)
                                : std::string("- (no test set)"))
        << '\n';
  }
  out << "time         " << human_seconds(result.elapsed_seconds) << " tuning, "
      << human_seconds(parts.load_seconds) << " loading\n";
  if (vm.count("json") != 0U) out << "json         " << vm["json"].as<std::string>() << '\n';
}

}  // namespace

int tune_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  po::options_description data_options("Data");
  data_options.add_options()("validation", po::value<std::string>(),
                             "validation file: the outer objective (default: split off TRAIN)")(
      "test", po::value<std::string>(),
      "held-out test file, only reported (default: split off TRAIN)")(
      "split", po::value<std::string>()->default_value("0.9,0.05,0.05"),
      "train,validation,test fractions of TRAIN for the parts not given as files")(
      "stratify", "keep the class balance in every split part")(
      "cv", po::value<int>()->default_value(0),
      "K-fold cross-validation (K >= 2, stratified, seeded by --seed): the outer objective is "
      "the sum of the K validation losses; no validation part is split off (0: off)")(
      "groups", po::value<std::string>(),
      "one lambda per feature group: file of 'FEATURE GROUP' lines (1-based index, name); "
      "unlisted features share one extra group")(
      "weights", po::value<std::string>(),
      "sample weights of TRAIN's rows: one number >= 0 per line, in TRAIN's order (split parts "
      "keep their rows' weights); they weight the training and the validation loss")(
      "validation-weights", po::value<std::string>(), "sample weights of the --validation file")(
      "test-weights", po::value<std::string>(), "sample weights of the --test file")(
      "class-weight", po::value<std::string>(),
      "'balanced' (n / (2 n_class) from the training part) or NEG,POS: weights of the classes "
      "mapped to -1 and +1, on every part, times the sample weights");
  po::options_description method_options("Search range");
  method_options.add_options()("lambda0", po::value<double>()->default_value(1.0, "1"),
                               "starting lambda (within the bounds)")(
      "bounds", po::value<std::string>()->default_value("-12,12"),
      "LO,HI: bounds of log(lambda), also the grid and random range")(
      "patience", po::value<int>()->default_value(0),
      "stop after N evaluations without improving the validation loss (0: never)");
  const po::options_description tuning_options = table_options();
  po::options_description run_options("Run and output");
  run_options.add_options()(
      "threads", po::value<int>()->default_value(0),
      "threads of every parallel loop: data passes and L-BFGS memory sweeps (0: all cores)")(
      "json", po::value<std::string>(), "write the configuration and the whole trajectory here")(
      "model", po::value<std::string>(), "save the model fitted at the best lambda (JSON)")(
      "liblinear", po::value<std::string>(), "also export that model in liblinear's format")(
      "checkpoint", po::value<std::string>(),
      "save the state after every outer iteration here, to continue with --resume")(
      "resume", po::value<std::string>(),
      "continue the run saved in this checkpoint (same data and options); checkpoints go on "
      "being saved to it unless --checkpoint names another file")("quiet,q", "no progress lines")(
      "verbose,v", "also show each inner solve and hypergradient");
  po::options_description options("shine tune options");
  options.add(data_options).add(method_options).add(tuning_options).add(run_options);
  po::variables_map vm;
  if (!parse_options(args, options, {"TRAIN"}, vm, out, tune_usage().c_str())) return kSuccess;

  // Everything is checked before any data is read.
  const outer::TuneOptions checked = options_from(vm);
  check_range(!(vm.count("quiet") != 0U && vm.count("verbose") != 0U),
              "--quiet and --verbose exclude each other");
  const int patience = vm["patience"].as<int>();
  check_range(patience >= 0, format("--patience must be >= 0, got %d", patience));
  PartSources sources;
  sources.train = vm["TRAIN"].as<std::string>();
  if (vm.count("validation") != 0U) sources.validation = vm["validation"].as<std::string>();
  if (vm.count("test") != 0U) sources.test = vm["test"].as<std::string>();
  sources.cv = vm["cv"].as<int>();
  check_range(sources.cv == 0 || (sources.cv >= 2 && sources.cv <= 1000),
              format("--cv must be 0 (off) or a number of folds in [2, 1000], got %d", sources.cv));
  if (sources.cv > 0 && sources.validation) {
    throw UsageError("--cv and --validation exclude each other: the folds are the validation");
  }
  if (sources.validation && sources.test && !vm["split"].defaulted()) {
    throw UsageError("--split is not used when both --validation and --test are given");
  }
  sources.fractions = parse_fractions(vm["split"].as<std::string>(), "--split");
  {
    data::SplitOptions split{.train = sources.fractions[0],
                             .validation = sources.fractions[1],
                             .test = sources.fractions[2]};
    try {
      split.validate();
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--split: ") + e.what());
    }
    if (!sources.validation && sources.cv == 0 && sources.fractions[1] <= 0.0) {
      throw UsageError(
          "--split gives the validation part 0 rows: give a positive validation fraction or "
          "--validation FILE");
    }
  }
  sources.seed = checked.seed;
  sources.stratify = vm.count("stratify") != 0U;
  const auto optional_flag = [&vm](const char* flag) -> std::optional<std::string> {
    if (vm.count(flag) == 0U) return std::nullopt;
    return vm[flag].as<std::string>();
  };
  sources.weights.train = optional_flag("weights");
  sources.weights.validation = optional_flag("validation-weights");
  sources.weights.test = optional_flag("test-weights");
  if (sources.weights.validation && !sources.validation) {
    throw UsageError(
        "--validation-weights needs --validation FILE (the weights of a split part come from "
        "--weights)");
  }
  if (sources.weights.test && !sources.test) {
    throw UsageError(
        "--test-weights needs --test FILE (the weights of a split part come from --weights)");
  }
  if (const auto text = optional_flag("class-weight")) {
    sources.weights.classes = parse_class_weight(*text);
  }
  for (const char* name : {"json", "model", "liblinear", "checkpoint"}) {
    if (vm.count(name) != 0U)
      check_output_path(vm[name].as<std::string>(), std::string("--") + name);
  }
  const Verbosity verbosity = vm.count("quiet") != 0U     ? Verbosity::Quiet
                              : vm.count("verbose") != 0U ? Verbosity::Verbose
                                                          : Verbosity::Normal;

  const core::Communicator* group = process_group();
  // Only rank 0 writes files (the checkpoints too); the other processes compute the same run.
  // Every process reads a checkpoint to resume from.
  const bool writes = group == nullptr || group->rank() == 0;

  // The checkpoint is read before the data, so that a wrong file is reported at once.
  std::optional<outer::TuneCheckpoint> resumed;
  if (vm.count("resume") != 0U) resumed = outer::load_checkpoint(vm["resume"].as<std::string>());
  std::string checkpoint_path;
  if (vm.count("checkpoint") != 0U) {
    checkpoint_path = vm["checkpoint"].as<std::string>();
  } else if (resumed) {
    checkpoint_path = vm["resume"].as<std::string>();
  }

  Parts parts = load_parts(sources);
  outer::TuneProblem problem;
  problem.train = &parts.train;
  problem.test = parts.test_rows > 0 ? &parts.test : nullptr;
  std::vector<data::Split> folds;
  if (sources.cv > 0) {
    const data::KFoldOptions kfold{.folds = sources.cv, .seed = sources.seed, .stratify = true};
    if (group != nullptr) {
      // The folds of all the training rows, each process keeping its own rows of each.
      data::DatasetPart whole{.data = std::move(parts.train)};
      std::tie(whole.first_row, whole.total_rows) = data::row_offsets(whole.data);
      folds = data::kfold_part(whole, kfold);
      parts.train = std::move(whole.data);
    } else {
      folds = data::kfold_split(parts.train, kfold);
    }
    for (const data::Split& fold : folds)
      problem.folds.push_back({&fold.train, &fold.validation});
  } else {
    problem.validation = &parts.validation;
  }
  data::FeatureGroups groups;
  if (vm.count("groups") != 0U) {
    groups = data::read_feature_groups(vm["groups"].as<std::string>(), parts.train.features());
    problem.group_of = groups.group_of;
    problem.groups = static_cast<Index>(groups.names.size());
    if (verbosity != Verbosity::Quiet) {
      err << "groups: " << with_commas(problem.groups) << " from "
          << vm["groups"].as<std::string>();
      if (groups.unlisted > 0) err << " (" << with_commas(groups.unlisted) << " unlisted features)";
      if (groups.ignored > 0) {
        err << " (" << with_commas(groups.ignored)
            << " lines beyond the training features ignored)";
      }
      err << '\n';
    }
  }

  // With several processes Ctrl-C is left to mpirun, which ends every process: a flag seen by
  // one process only would stop it alone and leave the others waiting.
  std::optional<InterruptGuard> interrupt;
  outer::TuneOptions tune_options = checked;
  if (group == nullptr) {
    interrupt.emplace();
    tune_options.interrupt = interrupt->flag();
  }

  report::RunDescription run;
  run.version = kVersion;
  run.command = command_line("tune", args);
  run.datasets = parts.descriptions;
  run.labels = parts.train.labels;
  if (!groups.names.empty()) {
    run.extra.push_back({"groups", static_cast<long long>(groups.names.size())});
  }
  for (const char* flag : {"weights", "validation-weights", "test-weights", "class-weight"}) {
    if (const auto text = optional_flag(flag)) run.extra.push_back({flag, *text});
  }
  if (resumed) {
    run.extra.push_back({"resumed_from", vm["resume"].as<std::string>()});
    run.extra.push_back({"resumed_evaluations", static_cast<long long>(resumed->evaluations())});
  }
  ConsoleProgress progress(err, verbosity);
  std::optional<report::JsonTrajectoryWriter> json;
  std::optional<outer::EarlyStopping> early;
  std::vector<outer::Observer*> observers{&progress};
  if (vm.count("json") != 0U && writes) {
    json.emplace(vm["json"].as<std::string>(), run);
    observers.push_back(&*json);
  }
  if (patience > 0) {
    early.emplace(patience);
    observers.push_back(&*early);
  }
  std::optional<outer::CheckpointWriter> checkpointer;
  if (!checkpoint_path.empty() && writes) {
    checkpointer.emplace(checkpoint_path);
    observers.push_back(&*checkpointer);
  }

  Tuned tuned;
  if (resumed) {
    if (verbosity != Verbosity::Quiet) {
      err << "resuming " << vm["resume"].as<std::string>() << ": " << resumed->evaluations()
          << (resumed->evaluations() == 1 ? " evaluation" : " evaluations") << " done";
      if (resumed->result.has_result) {
        err << format(", best validation loss %.6f at lambda %s", resumed->result.validation_loss,
                      lambda_text(resumed->result.lambda).c_str());
      }
      err << '\n';
    }
    try {
      tuned = shine::resume(problem, tune_options, *resumed, observers);
    } catch (const outer::ResumeError& e) {
      throw UsageError("--resume " + vm["resume"].as<std::string>() + ": " + e.what());
    }
  } else {
    tuned = shine::tune(problem, tune_options, observers);
  }
  const outer::TuneResult& result = tuned.trajectory;
  print_summary(out, result, parts, vm);

  int code = tune_exit_code(result);
  if (result.has_result && writes && (vm.count("model") != 0U || vm.count("liblinear") != 0U)) {
    model::LogisticModel& model = tuned.model;
    model.description =
        format("%s; best of %zu evaluations by %s", run.command.c_str(), result.records.size(),
               std::string(outer::to_string(tune_options.method)).c_str());
    if (vm.count("model") != 0U) {
      model::save_json(model, vm["model"].as<std::string>());
      out << "model        " << vm["model"].as<std::string>() << '\n';
    }
    if (vm.count("liblinear") != 0U) {
      try {
        model::export_liblinear(model, vm["liblinear"].as<std::string>());
        out << "liblinear    " << vm["liblinear"].as<std::string>() << '\n';
      } catch (const std::invalid_argument& e) {
        err << "shine: --liblinear: " << e.what() << '\n';
        if (code == kSuccess) code = kInputError;
      }
    }
  } else if (!result.has_result && (vm.count("model") != 0U || vm.count("liblinear") != 0U)) {
    err << "shine: no usable result, so no model was written\n";
  }
  if (checkpointer && !checkpointer->error().empty()) {
    err << "shine: --checkpoint: " << checkpointer->error() << '\n';
    if (code == kSuccess) code = kInputError;
  } else if (checkpointer && code == kInterrupted && checkpointer->writes() > 0) {
    err << "shine: continue this run with --resume " << checkpointer->path().string() << '\n';
  }
  if (json && !json->error().empty()) {
    err << "shine: --json: " << json->error() << '\n';
    if (code == kSuccess) code = kInputError;
  }
  if (code == kNoResult) {
    err << "shine: no usable result: " << result.message
        << " (try other --bounds, a larger --inner-max-iterations or check the data)\n";
  }
  return code;
}

}  // namespace shine::cli
