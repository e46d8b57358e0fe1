#include "progress.hpp"

#include <cmath>
#include <ostream>

#include "common.hpp"

namespace shine::cli {

std::string lambda_text(const Vector& lambda) {
  if (lambda.size() == 0) return "-";
  if (lambda.size() == 1) return format("%.4g", lambda[0]);
  return format("~%.3g", std::exp(lambda.array().log().mean()));
}

namespace {

std::string loss_text(double loss) {
  return std::isfinite(loss) ? format("%.6f", loss) : "-";
}

}  // namespace

ConsoleProgress::ConsoleProgress(std::ostream& err, Verbosity verbosity)
    : err_(err), verbosity_(verbosity) {}

std::string ConsoleProgress::header() {
  return format("%4s %11s %11s %11s %12s %9s %10s  %s", "it", "lambda", "val loss", "held-out",
                "|hypergrad|", "inner it", "elapsed", "step");
}

std::string ConsoleProgress::line(const outer::OuterRecord& r, outer::TuneMethod method) {
  const bool hypergradient_method = outer::is_hypergradient_method(method);
  const std::string gradient = hypergradient_method && std::isfinite(r.hypergradient_norm)
                                   ? format("%.2e", r.hypergradient_norm)
                                   : "-";
  std::string step =
      hypergradient_method ? std::string(outer::to_string(r.step)) : std::string("-");
  if (hypergradient_method && method != outer::TuneMethod::Hoag &&
      r.hypergradient_summary.method == hypergrad::Method::Hoag) {
    // Conjugate gradient (a CG budget), or the direct solve of few features (none).
    step += r.hypergradient_summary.cg_budget > 0 ? "+cg" : "+direct";
  }
  return format("%4d %11s %11s %11s %12s %9d %10s  %s", r.iteration, lambda_text(r.lambda).c_str(),
                loss_text(r.validation_loss).c_str(), loss_text(r.test_loss).c_str(),
                gradient.c_str(), r.inner.iterations, human_seconds(r.elapsed_seconds).c_str(),
                step.c_str());
}

void ConsoleProgress::on_begin(const outer::TuneInfo& info) {
  method_ = info.method;
  if (verbosity_ == Verbosity::Quiet) return;
  err_ << "tuning " << (info.hyperparameters == 1 ? "lambda" : "lambdas") << " by "
       << outer::to_string(info.method) << ": " << with_commas(info.train_rows) << " train / ";
  if (info.folds > 0) {
    err_ << info.folds << "-fold cross-validation";
  } else {
    err_ << with_commas(info.validation_rows) << " validation";
  }
  err_ << " / " << with_commas(info.test_rows) << " held-out rows, " << with_commas(info.features)
       << " features";
  if (info.hyperparameters > 1) err_ << ", " << with_commas(info.hyperparameters) << " groups";
  err_ << ", " << info.threads << (info.threads == 1 ? " thread" : " threads") << '\n';
  err_ << header() << '\n' << std::flush;
}

bool ConsoleProgress::on_iteration(const outer::OuterRecord& record) {
  if (verbosity_ == Verbosity::Quiet) return false;
  err_ << line(record, method_) << '\n';
  if (verbosity_ == Verbosity::Verbose) {
    err_ << "       inner: " << record.inner.brief() << '\n';
    if (outer::is_hypergradient_method(method_)) {
      err_ << "       hypergradient: " << record.hypergradient_summary.brief() << '\n';
    }
  }
  err_ << std::flush;
  return false;
}

}  // namespace shine::cli
