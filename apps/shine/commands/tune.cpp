// `shine tune`: tune the L2 regularization on a validation set, report the held-out result.
#include <boost/program_options.hpp>
#include <cmath>
#include <ostream>

#include "cli.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "interrupt.hpp"
#include "progress.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/report/trajectory.hpp"
#include "tuning.hpp"

namespace shine::cli {
namespace {

namespace po = boost::program_options;

// The library's defaults, shown and used as the flags' defaults.
const outer::TuneOptions kDefaults{};

constexpr const char* kTuneUsage =
    "usage: shine tune TRAIN [--validation FILE] [--test FILE] [--split 0.9,0.05,0.05]\n"
    "                  [--method shine|shine-opa|shine-refine|hoag|jacobian-free|grid|random]\n"
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
    "  shine tune train.svm --checkpoint run.ckpt --json run.json   (then, after a stop:)\n"
    "  shine tune train.svm --resume run.ckpt --json run.json\n"
    "\n"
    "Exit codes: 0 success, 2 bad option, 3 bad input file, 4 no usable result, 130 interrupted.\n";

void check_range(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

outer::TuneOptions options_from(const po::variables_map& vm) {
  outer::TuneOptions options;
  try {
    options.method = outer::parse_tune_method(vm["method"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--method: ") + e.what());
  }
  const int iterations = vm["max-iterations"].as<int>();
  check_range(iterations >= 1 && iterations <= 100000,
              format("--max-iterations must be in [1, 100000], got %d", iterations));
  options.max_iterations = iterations;
  const int candidates = vm["candidates"].as<int>();
  check_range(candidates >= 1 && candidates <= 100000,
              format("--candidates must be in [1, 100000], got %d", candidates));
  options.candidates = candidates;

  const auto [lower, upper] = parse_pair(vm["bounds"].as<std::string>(), "--bounds");
  check_range(lower < upper, format("--bounds LO,HI needs LO < HI, got %g,%g", lower, upper));
  // lambda = exp(theta) must stay a finite, non-zero double, with room for the grid's steps.
  check_range(lower >= -700.0 && upper <= 700.0,
              format("--bounds must lie within [-700, 700] (lambda = exp(bound)), got %g,%g", lower,
                     upper));
  options.step.lower_bound = lower;
  options.step.upper_bound = upper;
  const double lambda0 = positive_option(vm, "lambda0");
  options.initial_theta = std::log(lambda0);
  check_range(options.initial_theta >= lower && options.initial_theta <= upper,
              format("--lambda0 %g is outside the bounds: log(%g) = %g is not in [%g, %g]", lambda0,
                     lambda0, options.initial_theta, lower, upper));
  try {
    options.step.rule = outer::parse_step_rule(vm["step"].as<std::string>());
  } catch (const std::invalid_argument&) {
    throw UsageError("--step must be secant, single or double, got '" +
                     vm["step"].as<std::string>() + "'");
  }
  const double theta_tolerance = vm["theta-tolerance"].as<double>();
  check_range(theta_tolerance > 0.0 && theta_tolerance <= 1.0,
              format("--theta-tolerance must be in (0, 1], got %g", theta_tolerance));
  options.secant.theta_tolerance = theta_tolerance;
  const double max_radius = vm["max-trust-radius"].as<double>();
  check_range(max_radius > 0.0 && max_radius <= 24.0,
              format("--max-trust-radius must be in (0, 24], got %g", max_radius));
  options.secant.max_radius = max_radius;
  const double radius = vm["trust-radius"].as<double>();
  check_range(
      radius > 0.0 && radius <= max_radius,
      format("--trust-radius must be in (0, --max-trust-radius = %g], got %g", max_radius, radius));
  options.secant.initial_radius = radius;
  try {
    options.inner_tolerance_rule =
        outer::parse_inner_tolerance_rule(vm["inner-tolerance-rule"].as<std::string>());
  } catch (const std::invalid_argument&) {
    throw UsageError("--inner-tolerance-rule must be warm-start or paper, got '" +
                     vm["inner-tolerance-rule"].as<std::string>() + "'");
  }
  const double inner_tolerance = vm["inner-tolerance"].as<double>();
  check_range(inner_tolerance > 0.0 && inner_tolerance < 1.0,
              format("--inner-tolerance must be in (0, 1), got %g", inner_tolerance));
  options.inner_tolerance = inner_tolerance;
  const double final_tolerance = vm["final-tolerance"].as<double>();
  check_range(final_tolerance > 0.0 && final_tolerance < 1.0,
              format("--final-tolerance must be in (0, 1), got %g", final_tolerance));
  options.final_tolerance = final_tolerance;
  const double bounce_cg_tolerance = vm["bounce-cg-tolerance"].as<double>();
  check_range(
      bounce_cg_tolerance >= 0.0 && bounce_cg_tolerance < 1.0,
      format("--bounce-cg-tolerance must be in [0, 1) (0 = off), got %g", bounce_cg_tolerance));
  options.bounce_cg_tolerance = bounce_cg_tolerance;
  const double grid_tolerance = vm["grid-tolerance"].as<double>();
  check_range(grid_tolerance > 0.0 && grid_tolerance < 1.0,
              format("--grid-tolerance must be in (0, 1), got %g", grid_tolerance));
  options.baseline_tolerance = grid_tolerance;

  if (!vm["schedule"].defaulted() || !vm["epsilon0"].defaulted() || vm.count("rho") != 0U) {
    outer::ToleranceSchedule schedule = options.effective_schedule();
    try {
      schedule.kind = outer::parse_schedule_kind(vm["schedule"].as<std::string>());
    } catch (const std::invalid_argument&) {
      throw UsageError("--schedule must be exponential, quadratic or cubic, got '" +
                       vm["schedule"].as<std::string>() + "'");
    }
    const double epsilon0 = vm["epsilon0"].as<double>();
    check_range(epsilon0 > 0.0 && epsilon0 <= 1.0,
                format("--epsilon0 must be in (0, 1], got %g", epsilon0));
    schedule.initial = epsilon0;
    schedule.floor = std::min(schedule.floor, epsilon0);
    if (vm.count("rho") != 0U) {
      const double rho = vm["rho"].as<double>();
      check_range(rho > 0.0 && rho < 1.0, format("--rho must be in (0, 1), got %g", rho));
      check_range(schedule.kind == outer::ScheduleKind::Exponential,
                  "--rho applies to the exponential schedule only");
      schedule.rho = rho;
    }
    options.schedule = schedule;
  }

  if (vm.count("memory") != 0U) {
    const int memory = vm["memory"].as<int>();
    check_range(memory >= 1 && memory <= 1000,
                format("--memory must be in [1, 1000], got %d", memory));
    options.memory = memory;
  }
  options.warm_memory = vm.count("warm-memory") != 0U;
  const std::string diagonal = vm["diagonal-scaling"].as<std::string>();
  check_range(diagonal == "on" || diagonal == "off",
              "--diagonal-scaling must be on or off, got '" + diagonal + "'");
  options.lbfgs.diagonal_scaling = diagonal == "on";
  options.hypergrad.fallback = vm.count("fallback") != 0U;
  const int max_cg = vm["max-cg"].as<int>();
  check_range(max_cg >= 1, format("--max-cg must be >= 1, got %d", max_cg));
  options.hypergrad.max_cg_iterations = max_cg;
  const int opa_every = vm["opa-every"].as<int>();
  check_range(opa_every >= 0, format("--opa-every must be >= 0, got %d", opa_every));
  options.hypergrad.opa_every = opa_every;
  const int inner = vm["inner-max-iterations"].as<int>();
  check_range(inner >= 1, format("--inner-max-iterations must be >= 1, got %d", inner));
  options.lbfgs.max_iterations = inner;
  const std::string h0 = vm["h0"].as<std::string>();
  check_range(h0 == "scaled" || h0 == "identity",
              "--h0 must be scaled or identity, got '" + h0 + "'");
  options.lbfgs.initial_hessian =
      h0 == "identity" ? inner::InitialHessian::Identity : inner::InitialHessian::ScaledIdentity;

  const std::string initial = vm["initial-weights"].as<std::string>();
  check_range(initial == "zero" || initial == "gaussian",
              "--initial-weights must be zero or gaussian, got '" + initial + "'");
  options.initial_weights =
      initial == "gaussian" ? outer::InitialWeights::Gaussian : outer::InitialWeights::Zero;
  options.objective.fit_intercept = vm.count("intercept") != 0U;
  const int threads = vm["threads"].as<int>();
  check_range(threads >= 0, format("--threads must be >= 0 (0 = all cores), got %d", threads));
  options.objective.num_threads = threads;
  options.lbfgs.num_threads = threads;
  options.seed = parse_seed(vm["seed"].as<std::string>(), "--seed");
  const double budget = vm["time-budget"].as<double>();
  check_range(std::isfinite(budget) && budget >= 0.0,
              format("--time-budget must be >= 0 seconds (0 = none), got %g", budget));
  options.time_budget = budget;
  options.validate();
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
    out << "validation   "
        << metrics(result.validation_loss, result.validation_accuracy, parts.validation.rows())
        << '\n';
    out << "held-out     "
        << (parts.test.rows() > 0
                ? metrics(result.test_loss, result.test_accuracy, parts.test.rows())
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
      "groups", po::value<std::string>(),
      "one lambda per feature group: file of 'FEATURE GROUP' lines (1-based index, name); "
      "unlisted features share one extra group")("intercept", "fit an unregularized intercept");
  po::options_description method_options("Method");
  method_options.add_options()(
      "method",
      po::value<std::string>()->default_value(std::string(outer::to_string(kDefaults.method))),
      "shine, shine-opa, shine-refine, hoag, jacobian-free, grid or "
      "random")("max-iterations", po::value<int>()->default_value(30),
                "outer iterations of a hypergradient method (one inner solve each)")(
      "candidates", po::value<int>()->default_value(10),
      "values of lambda tried by grid and random")(
      "lambda0", po::value<double>()->default_value(1.0, "1"), "starting lambda")(
      "bounds", po::value<std::string>()->default_value("-12,12"),
      "LO,HI: bounds of log(lambda), also the grid and random range")(
      "step",
      po::value<std::string>()->default_value(std::string(outer::to_string(kDefaults.step.rule))),
      "secant (converges and stops), or HOAG's adaptive step: single (HOAG 2016) or double "
      "(HOAG 2017 code, SHINE paper)")(
      "theta-tolerance",
      po::value<double>()->default_value(kDefaults.secant.theta_tolerance,
                                         format("%g", kDefaults.secant.theta_tolerance)),
      "secant: converged when a step moves log(lambda) by at most this")(
      "trust-radius",
      po::value<double>()->default_value(kDefaults.secant.initial_radius,
                                         format("%g", kDefaults.secant.initial_radius)),
      "secant: longest first step in log(lambda)")(
      "max-trust-radius",
      po::value<double>()->default_value(kDefaults.secant.max_radius,
                                         format("%g", kDefaults.secant.max_radius)),
      "secant: longest step in log(lambda)")(
      "inner-tolerance-rule",
      po::value<std::string>()->default_value(
          std::string(outer::to_string(kDefaults.inner_tolerance_rule))),
      "inner stopping rule: warm-start (|grad| <= F |grad at the warm start|) or paper (the "
      "SHINE/HOAG papers' epsilon_k rule)")(
      "inner-tolerance",
      po::value<double>()->default_value(kDefaults.inner_tolerance,
                                         format("%g", kDefaults.inner_tolerance)),
      "F of the warm-start rule")(
      "final-tolerance",
      po::value<double>()->default_value(kDefaults.final_tolerance,
                                         format("%g", kDefaults.final_tolerance)),
      "secant: after converging on a loose solve, a last solve to |grad| <= T min(lambda) |w|, "
      "so that the returned w is within T of the exact one, relatively")(
      "bounce-cg-tolerance",
      po::value<double>()->default_value(kDefaults.bounce_cg_tolerance,
                                         format("%g", kDefaults.bounce_cg_tolerance)),
      "secant: once the held-out loss rises over a step < 5x --theta-tolerance, compute each "
      "later hypergradient by CG from the method's q to relative residual R (0 = off)")(
      "grid-tolerance",
      po::value<double>()->default_value(kDefaults.baseline_tolerance,
                                         format("%g", kDefaults.baseline_tolerance)),
      "grid, random: each solve stops at |grad| <= G |grad at its warm start|")(
      "schedule", po::value<std::string>()->default_value("exponential"),
      "tolerance schedule: exponential, quadratic or cubic")(
      "epsilon0", po::value<double>()->default_value(1e-3, "1e-3"), "first tolerance")(
      "rho", po::value<double>(),
      "decay of the exponential schedule (default 0.9 for hoag, 0.78 otherwise)")(
      "memory", po::value<int>(),
      "L-BFGS memory (default 30 for the shine variants and "
      "jacobian-free, 10 for hoag, grid and random)")(
      "warm-memory", "carry the L-BFGS memory from one inner solve to the next")(
      "diagonal-scaling",
      po::value<std::string>()
          ->default_value(kDefaults.lbfgs.diagonal_scaling ? "on" : "off")
          ->implicit_value("on"),
      "L-BFGS: on starts each update from a diagonal of the Hessian (H0 = gamma Delta), off "
      "from gamma I")(
      "fallback", "shine variants: replace a suspicious inverse-Hessian estimate by the gradient")(
      "max-cg", po::value<int>()->default_value(100),
      "hoag, shine-refine: most conjugate-gradient iterations per hypergradient")(
      "opa-every", po::value<int>()->default_value(0),
      "shine-opa: extra secant pair every F inner iterations (0: the paper's rule)")(
      "inner-max-iterations", po::value<int>()->default_value(1000),
      "L-BFGS iterations per inner solve")(
      "h0", po::value<std::string>()->default_value("scaled"),
      "initial inverse Hessian of L-BFGS: scaled (gamma I) or identity (the reference code)")(
      "initial-weights", po::value<std::string>()->default_value("zero"),
      "w of the first inner solve: zero or gaussian (seeded)")(
      "patience", po::value<int>()->default_value(0),
      "stop after N evaluations without improving the validation loss (0: never)");
  po::options_description run_options("Run and output");
  run_options.add_options()("time-budget", po::value<double>()->default_value(0.0, "0"),
                            "seconds for the whole run (0: no limit)")(
      "threads", po::value<int>()->default_value(0),
      "threads of every parallel loop: data passes and L-BFGS memory sweeps (0: all cores)")(
      "seed", po::value<std::string>()->default_value("0"),
      "seed of the split, of gaussian initial weights and of random search")(
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
  options.add(data_options).add(method_options).add(run_options);
  po::variables_map vm;
  if (!parse_options(args, options, {"TRAIN"}, vm, out, kTuneUsage)) return kSuccess;

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
    if (!sources.validation && sources.fractions[1] <= 0.0) {
      throw UsageError(
          "--split gives the validation part 0 rows: give a positive validation fraction or "
          "--validation FILE");
    }
  }
  sources.seed = checked.seed;
  sources.stratify = vm.count("stratify") != 0U;
  for (const char* name : {"json", "model", "liblinear", "checkpoint"}) {
    if (vm.count(name) != 0U)
      check_output_path(vm[name].as<std::string>(), std::string("--") + name);
  }
  const Verbosity verbosity = vm.count("quiet") != 0U     ? Verbosity::Quiet
                              : vm.count("verbose") != 0U ? Verbosity::Verbose
                                                          : Verbosity::Normal;

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
  problem.validation = &parts.validation;
  problem.test = parts.test.rows() > 0 ? &parts.test : nullptr;
  Groups groups;
  if (vm.count("groups") != 0U) {
    groups = read_groups(vm["groups"].as<std::string>(), parts.train.features());
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

  InterruptGuard interrupt;
  outer::TuneOptions tune_options = checked;
  tune_options.interrupt = interrupt.flag();

  report::RunDescription run;
  run.version = kVersion;
  run.command = command_line("tune", args);
  run.datasets = parts.descriptions;
  run.labels = parts.train.labels;
  if (!groups.names.empty()) {
    run.extra.push_back({"groups", static_cast<long long>(groups.names.size())});
  }
  if (resumed) {
    run.extra.push_back({"resumed_from", vm["resume"].as<std::string>()});
    run.extra.push_back({"resumed_evaluations", static_cast<long long>(resumed->evaluations())});
  }
  ConsoleProgress progress(err, verbosity);
  std::optional<report::JsonTrajectoryWriter> json;
  std::optional<outer::EarlyStopping> early;
  std::vector<outer::Observer*> observers{&progress};
  if (vm.count("json") != 0U) {
    json.emplace(vm["json"].as<std::string>(), run);
    observers.push_back(&*json);
  }
  if (patience > 0) {
    early.emplace(patience);
    observers.push_back(&*early);
  }
  std::optional<outer::CheckpointWriter> checkpointer;
  if (!checkpoint_path.empty()) {
    checkpointer.emplace(checkpoint_path);
    observers.push_back(&*checkpointer);
  }

  outer::TuneResult result;
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
      result = outer::resume(problem, tune_options, *resumed, observers);
    } catch (const std::invalid_argument& e) {
      std::string message = e.what();
      if (message.rfind("resume: ", 0) == 0) message.erase(0, 8);
      throw UsageError("--resume " + vm["resume"].as<std::string>() + ": " + message);
    }
  } else {
    result = outer::tune(problem, tune_options, observers);
  }
  print_summary(out, result, parts, vm);

  int code = tune_exit_code(result);
  if (result.has_result && (vm.count("model") != 0U || vm.count("liblinear") != 0U)) {
    model::LogisticModel model =
        model::LogisticModel::from_solution(result.w, tune_options.objective.fit_intercept,
                                            result.lambda, parts.train.labels, problem.group_of);
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
