#pragma once
// The analysis behind `shine reproduce`: from the runs (method × seed) to the summary table, the
// median curves with their 10–90 % band, and the text of the CSV, Markdown, data and gnuplot
// files. Pure functions of the runs, so they are tested without running anything.
//
// Definitions (docs/cli.md, "reproduce"):
// - the **returned loss** of a run at time t is the held-out (test) loss of the evaluation that
//   `tune` would return if stopped then, as the tuner records it (`OuterRecord::returned`): the
//   lowest validation loss among the evaluations finished by t, except that a converged secant
//   run returns its last evaluation;
// - L*_s, the **best held-out loss** of seed s, is the lowest returned loss of any method at any
//   time on that seed: the best model any method would have returned (the held-out loss of an
//   evaluation that no method would return, because its validation loss is not the lowest so
//   far, does not count: the validation set decides, as in `tune`);
// - the **suboptimality** is (L − L*_s)/L*_s, plotted with an offset of 1e-5 on a log scale;
// - **time to 1 % / 0.1 %**: the first time the returned loss is within 1 % / 0.1 % of L*_s
//   (+∞ when never); medians over seeds (+∞ when more than half never get there).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shine/outer/tuner.hpp"

namespace shine::cli::bench {

/// Offset added to the relative suboptimality in the figure (log scale).
inline constexpr double kFigureOffset = 1e-5;

/// One run of the protocol.
struct Run {
  std::string method;
  std::uint64_t seed = 0;
  outer::TuneResult result;
  bool finished = true;  ///< False when interrupted: kept in the raw files, not in the summary.
};

/// (time, returned loss) after each evaluation of a run (see the file comment): the held-out loss
/// of the evaluation the tuner returns if the run ends there (`OuterRecord::returned`: the lowest
/// validation loss so far, or the last evaluation of a converged secant run, so that the last
/// point is the result's `TuneResult::test_loss`); evaluations with no finite held-out loss are
/// skipped.
std::vector<std::array<double, 2>> returned_curve(const outer::TuneResult& result);

/// L*_s for every seed of `runs`: the lowest returned loss (finished runs only).
std::map<std::uint64_t, double> best_losses(const std::vector<Run>& runs);

/// The first time `curve` is at or below `threshold`, +∞ when never.
double time_to_reach(const std::vector<std::array<double, 2>>& curve, double threshold);

/// The q-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation between order statistics
/// (values may hold +∞); NaN when empty.
double quantile(std::vector<double> values, double q);

/// One line of the summary table.
struct MethodSummary {
  std::string method;
  int runs = 0;                   ///< Finished runs (seeds).
  double final_loss = 0.0;        ///< Median returned loss at the end.
  double final_gap = 0.0;         ///< Median (final − L*)/L*.
  double time_1 = 0.0;            ///< Median time to 1 %.
  int reached_1 = 0;              ///< Seeds that got within 1 %.
  double time_01 = 0.0;           ///< Median time to 0.1 %.
  int reached_01 = 0;             ///< Seeds that got within 0.1 %.
  double total_time = 0.0;        ///< Median run time.
  double evaluations = 0.0;       ///< Median number of evaluations.
  double inner_iterations = 0.0;  ///< Median total inner iterations of a run.
};

/// The summary of each method (in the given order; methods without a finished run are left out).
std::vector<MethodSummary> summarize(const std::vector<Run>& runs,
                                     const std::vector<std::string>& methods);

/// A median curve: rows (t, median, 10 %, 90 %) of the suboptimality + offset.
struct Curve {
  std::string method;
  std::vector<std::array<double, 4>> points;
};

/// Median curves on a log-spaced time grid of `grid_points` points spanning every run. A method's
/// curve covers the times where at least half of its seeds have a first evaluation, up to the end
/// of its longest run; a run that has ended keeps its final value.
std::vector<Curve> median_curves(const std::vector<Run>& runs,
                                 const std::vector<std::string>& methods, int grid_points = 150);

/// records.csv: one row per evaluation of every run, with a header row.
std::string records_csv(const std::string& dataset, const std::vector<Run>& runs);

/// summary.csv: one row per method (times in seconds, "inf" when not reached).
std::string summary_csv(const std::string& dataset, const std::vector<MethodSummary>& summary);

/// The summary as a Markdown table (also printed by the command).
std::string summary_table(const std::vector<MethodSummary>& summary, int seeds);

/// curves.dat: one gnuplot data block per curve (index i = i-th curve), columns t, median, q10,
/// q90.
std::string curves_data(const std::vector<Curve>& curves);

/// figure.gp: reads curves.dat and writes figure.png and figure.svg (or the files named by the
/// gnuplot variables png_file and svg_file, which the command sets to temporaries it renames).
std::string gnuplot_script(const std::vector<Curve>& curves, const std::string& title);

/// Line colour of a method in the figure (one fixed colour per method, colour-blind safe).
std::string method_colour(const std::string& method);

}  // namespace shine::cli::bench
