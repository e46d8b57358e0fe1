#include "benchmark.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "common.hpp"

namespace shine::cli::bench {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median(std::vector<double> values) {
  return quantile(std::move(values), 0.5);
}

// A number for a CSV cell: empty when not finite.
std::string cell(double value, const char* pattern = "%.9g") {
  return std::isfinite(value) ? format(pattern, value) : std::string();
}

std::string time_cell(double seconds, int reached, int runs) {
  if (!std::isfinite(seconds)) return format("not reached (%d/%d)", reached, runs);
  return human_seconds(seconds) + (reached < runs ? format(" (%d/%d)", reached, runs) : "");
}

// The value of a curve at time t: the last point at or before t (NaN before the first).
double value_at(const std::vector<std::array<double, 2>>& curve, double t) {
  double value = kNaN;
  for (const auto& point : curve) {
    if (point[0] > t) break;
    value = point[1];
  }
  return value;
}

// The held-out loss of the evaluation the run returns if it ends after `r` (the tuner's
// `OuterRecord::returned`); NaN before any.
double returned_test_loss(const outer::TuneResult& result, const outer::OuterRecord& r) {
  if (r.returned < 0 || r.returned >= static_cast<int>(result.records.size())) return kNaN;
  return result.records[static_cast<std::size_t>(r.returned)].test_loss;
}

}  // namespace

std::vector<std::array<double, 2>> returned_curve(const outer::TuneResult& result) {
  std::vector<std::array<double, 2>> curve;
  for (const outer::OuterRecord& r : result.records) {
    const double returned = returned_test_loss(result, r);
    if (std::isfinite(returned)) curve.push_back({r.elapsed_seconds, returned});
  }
  return curve;
}

std::map<std::uint64_t, double> best_losses(const std::vector<Run>& runs) {
  std::map<std::uint64_t, double> best;
  for (const Run& run : runs) {
    if (!run.finished) continue;
    for (const auto& point : returned_curve(run.result)) {
      auto [it, inserted] = best.try_emplace(run.seed, point[1]);
      if (!inserted) it->second = std::min(it->second, point[1]);
    }
  }
  return best;
}

double time_to_reach(const std::vector<std::array<double, 2>>& curve, double threshold) {
  for (const auto& point : curve) {
    if (point[1] <= threshold) return point[0];
  }
  return kInf;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const auto above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  if (fraction == 0.0 || values[below] == values[above]) return values[below];
  if (!std::isfinite(values[above])) return kInf;
  return values[below] + fraction * (values[above] - values[below]);
}

std::vector<MethodSummary> summarize(const std::vector<Run>& runs,
                                     const std::vector<std::string>& methods) {
  const auto best = best_losses(runs);
  std::vector<MethodSummary> summary;
  for (const std::string& method : methods) {
    MethodSummary s;
    s.method = method;
    std::vector<double> finals, gaps, times_1, times_01, totals, evaluations, inner;
    for (const Run& run : runs) {
      if (!run.finished || run.method != method) continue;
      const auto it = best.find(run.seed);
      const auto curve = returned_curve(run.result);
      ++s.runs;
      totals.push_back(run.result.elapsed_seconds);
      evaluations.push_back(static_cast<double>(run.result.records.size()));
      double inner_total = 0.0;
      for (const auto& r : run.result.records)
        inner_total += r.inner.iterations;
      inner.push_back(inner_total);
      if (curve.empty() || it == best.end()) {
        finals.push_back(kInf);
        gaps.push_back(kInf);
        times_1.push_back(kInf);
        times_01.push_back(kInf);
        continue;
      }
      const double star = it->second;
      finals.push_back(curve.back()[1]);
      gaps.push_back((curve.back()[1] - star) / star);
      times_1.push_back(time_to_reach(curve, star * (1.0 + 1e-2)));
      times_01.push_back(time_to_reach(curve, star * (1.0 + 1e-3)));
      if (std::isfinite(times_1.back())) ++s.reached_1;
      if (std::isfinite(times_01.back())) ++s.reached_01;
    }
    if (s.runs == 0) continue;
    s.final_loss = median(finals);
    s.final_gap = median(gaps);
    s.time_1 = median(times_1);
    s.time_01 = median(times_01);
    s.total_time = median(totals);
    s.evaluations = median(evaluations);
    s.inner_iterations = median(inner);
    summary.push_back(s);
  }
  return summary;
}

std::vector<Curve> median_curves(const std::vector<Run>& runs,
                                 const std::vector<std::string>& methods, int grid_points) {
  const auto best = best_losses(runs);
  // Suboptimality curves of every finished run, and the span of the time grid.
  struct RunCurve {
    const Run* run;
    std::vector<std::array<double, 2>> points;
  };
  std::vector<RunCurve> curves;
  double t_min = kInf, t_max = 0.0;
  for (const Run& run : runs) {
    const auto it = best.find(run.seed);
    if (!run.finished || it == best.end()) continue;
    RunCurve c{&run, returned_curve(run.result)};
    if (c.points.empty()) continue;
    for (auto& point : c.points) {
      point[0] = std::max(point[0], 1e-6);
      point[1] = std::max(0.0, (point[1] - it->second) / it->second) + kFigureOffset;
    }
    t_min = std::min(t_min, c.points.front()[0]);
    t_max = std::max(t_max, c.points.back()[0]);
    curves.push_back(std::move(c));
  }
  std::vector<Curve> result;
  if (curves.empty()) return result;
  if (t_max <= t_min) t_max = t_min * 1.01;
  std::vector<double> grid(static_cast<std::size_t>(std::max(grid_points, 2)));
  for (std::size_t g = 0; g < grid.size(); ++g) {
    const double fraction = static_cast<double>(g) / static_cast<double>(grid.size() - 1);
    grid[g] = t_min * std::pow(t_max / t_min, fraction);
  }
  for (const std::string& method : methods) {
    Curve curve;
    curve.method = method;
    std::vector<const RunCurve*> mine;
    double end = 0.0;
    for (const RunCurve& c : curves) {
      if (c.run->method != method) continue;
      mine.push_back(&c);
      end = std::max(end, c.points.back()[0]);
    }
    if (mine.empty()) continue;
    for (const double t : grid) {
      if (t > end * (1.0 + 1e-12)) break;
      std::vector<double> values;
      for (const RunCurve* c : mine) {
        const double v = value_at(c->points, t);
        if (std::isfinite(v)) values.push_back(v);
      }
      if (2 * values.size() < mine.size() || values.empty()) continue;
      curve.points.push_back(
          {t, quantile(values, 0.5), quantile(values, 0.1), quantile(values, 0.9)});
    }
    if (!curve.points.empty()) result.push_back(std::move(curve));
  }
  return result;
}

std::string records_csv(const std::string& dataset, const std::vector<Run>& runs) {
  std::string text =
      "dataset,seed,method,iteration,elapsed_seconds,iteration_seconds,lambda,log_lambda,"
      "validation_loss,validation_accuracy,test_loss,test_accuracy,returned_test_loss,"
      "hypergradient_norm,tolerance,step,inner_iterations,inner_termination,cg_iterations,"
      "data_passes,finished\n";
  for (const Run& run : runs) {
    const bool hypergradient = outer::is_hypergradient_method(outer::parse_tune_method(run.method));
    for (const outer::OuterRecord& r : run.result.records) {
      text += dataset + "," + std::to_string(run.seed) + "," + run.method + "," +
              std::to_string(r.iteration) + "," + cell(r.elapsed_seconds, "%.6f") + "," +
              cell(r.iteration_seconds, "%.6f") + "," +
              cell(r.lambda.size() == 1 ? r.lambda[0] : kNaN) + "," +
              cell(r.theta.size() == 1 ? r.theta[0] : kNaN) + "," + cell(r.validation_loss) + "," +
              cell(r.validation_accuracy) + "," + cell(r.test_loss) + "," + cell(r.test_accuracy) +
              "," + cell(returned_test_loss(run.result, r)) + "," +
              cell(hypergradient ? r.hypergradient_norm : kNaN) + "," +
              cell(hypergradient ? r.tolerance : kNaN) + "," +
              (hypergradient ? std::string(outer::to_string(r.step)) : std::string()) + "," +
              std::to_string(r.inner.iterations) + "," +
              std::string(to_string(r.inner.termination)) + "," +
              std::to_string(r.hypergradient_summary.cg_iterations) + "," +
              std::to_string(r.data_passes) + "," + (run.finished ? "true" : "false") + "\n";
    }
  }
  return text;
}

std::string summary_csv(const std::string& dataset, const std::vector<MethodSummary>& summary) {
  const auto seconds = [](double value) {
    return std::isfinite(value) ? format("%.6f", value) : std::string("inf");
  };
  std::string text =
      "dataset,method,seeds,median_final_test_loss,median_final_relative_gap,"
      "median_time_to_1pct,seeds_within_1pct,median_time_to_0.1pct,seeds_within_0.1pct,"
      "median_total_seconds,median_evaluations,median_inner_iterations\n";
  for (const MethodSummary& s : summary) {
    text += dataset + "," + s.method + "," + std::to_string(s.runs) + "," + cell(s.final_loss) +
            "," + cell(s.final_gap) + "," + seconds(s.time_1) + "," + std::to_string(s.reached_1) +
            "," + seconds(s.time_01) + "," + std::to_string(s.reached_01) + "," +
            seconds(s.total_time) + "," + cell(s.evaluations) + "," + cell(s.inner_iterations) +
            "\n";
  }
  return text;
}

std::string summary_table(const std::vector<MethodSummary>& summary, int seeds) {
  std::string text =
      "| method | seeds | time to 1 % | time to 0.1 % | final held-out loss | gap to best | run "
      "time | evaluations | inner iterations |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  for (const MethodSummary& s : summary) {
    text += "| " + s.method + " | " + format("%d/%d", s.runs, seeds) + " | " +
            time_cell(s.time_1, s.reached_1, s.runs) + " | " +
            time_cell(s.time_01, s.reached_01, s.runs) + " | " + format("%.6f", s.final_loss) +
            " | " + (std::isfinite(s.final_gap) ? format("%.3g %%", 100.0 * s.final_gap) : "-") +
            " | " + human_seconds(s.total_time) + " | " + format("%.0f", s.evaluations) + " | " +
            format("%.0f", s.inner_iterations) + " |\n";
  }
  return text;
}

std::string curves_data(const std::vector<Curve>& curves) {
  std::string text;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    if (i > 0) text += "\n\n";
    text += "# " + curves[i].method + ": time_s median q10 q90 of (L - L*)/L* + " +
            format("%g", kFigureOffset) + "\n";
    for (const auto& p : curves[i].points)
      text += format("%.6g %.6g %.6g %.6g\n", p[0], p[1], p[2], p[3]);
  }
  return text;
}

std::string method_colour(const std::string& method) {
  // Okabe–Ito palette.
  if (method == "hoag") return "#0072B2";
  if (method == "shine") return "#D55E00";
  if (method == "shine-refine") return "#CC79A7";
  if (method == "shine-opa") return "#009E73";
  if (method == "jacobian-free") return "#E69F00";
  if (method == "grid") return "#555555";
  if (method == "random") return "#56B4E9";
  return "#000000";
}

std::string gnuplot_script(const std::vector<Curve>& curves, const std::string& title) {
  std::string text =
      "# Written by 'shine reproduce': held-out loss suboptimality against wall time, median over\n"
      "# seeds (line) with the 10-90 % band. Run it again with: gnuplot figure.gp\n"
      "if (!exists('png_file')) png_file = 'figure.png'\n"
      "if (!exists('svg_file')) svg_file = 'figure.svg'\n"
      "set datafile missing 'NaN'\n"
      "set logscale xy\n"
      "set format y '10^{%L}'\n"
      "set xlabel 'wall time (s)'\n"
      "set ylabel '(L - L*) / L* + " +
      format("%g", kFigureOffset) +
      "   (L: held-out loss of the returned model)'\n"
      "set title \"" +
      title +
      "\" noenhanced\n"
      "set key outside right top noenhanced\n"
      "set grid lc rgb '#dddddd'\n"
      "set arrow 1 from graph 0, first 1e-2 to graph 1, first 1e-2 nohead dt 2 lc rgb '#888888'\n"
      "set arrow 2 from graph 0, first 1e-3 to graph 1, first 1e-3 nohead dt 3 lc rgb '#888888'\n"
      "set label 1 '1 %' at graph 0.01, first 1.25e-2 tc rgb '#666666'\n"
      "set label 2 '0.1 %' at graph 0.01, first 1.25e-3 tc rgb '#666666'\n";
  std::string plot = "plot ";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const std::string colour = method_colour(curves[i].method);
    if (i > 0) plot += ", \\\n     ";
    plot += format(
        "'curves.dat' index %zu using 1:3:4 with filledcurves fs transparent solid 0.18 "
        "noborder lc rgb '%s' notitle, \\\n     '' index %zu using 1:2 with lines lw 2.5 "
        "lc rgb '%s' title '%s'",
        i, colour.c_str(), i, colour.c_str(), curves[i].method.c_str());
  }
  text += "set terminal pngcairo size 1100,650 font ',11'\n";
  text += "set output png_file\n";
  text += plot + "\n";
  text += "set terminal svg size 1100,650 dynamic font 'Arial,11'\n";
  text += "set output svg_file\n";
  text += "replot\n";
  text += "unset output\n";
  return text;
}

}  // namespace shine::cli::bench
