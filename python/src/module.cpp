// shine._core: the bindings behind the `shine` Python package (python/shine/). The Python layer
// validates arrays and labels and maps scikit-learn conventions; this layer builds shine's
// datasets from the array buffers, runs the façade (shine::tune, shine::fit) with the GIL
// released and turns the results into Python objects.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "interruptible.hpp"
#include "shine/data/libsvm_io.hpp"
#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "shine/estimator.hpp"
#include "shine/outer/tune_option_table.hpp"

namespace py = pybind11;

namespace shine::python {
namespace {

// A file that cannot be opened or read (raised as OSError).
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

py::handle option_error_type;  // shine._core.OptionError, set when the module is created

ValueBuffer value_buffer(const py::array& a, const char* what) {
  if (a.ndim() != 1 || (a.flags() & py::array::c_style) == 0) {
    throw std::invalid_argument(std::string(what) + " must be a contiguous 1-D array");
  }
  const auto size = static_cast<std::size_t>(a.size());
  if (a.dtype().is(py::dtype::of<double>())) return {a.data(), size, ValueType::Float64};
  if (a.dtype().is(py::dtype::of<float>())) return {a.data(), size, ValueType::Float32};
  throw std::invalid_argument(std::string(what) + " must hold float32 or float64 values");
}

IndexBuffer index_buffer(const py::array& a, const char* what) {
  if (a.ndim() != 1 || (a.flags() & py::array::c_style) == 0) {
    throw std::invalid_argument(std::string(what) + " must be a contiguous 1-D array");
  }
  const auto size = static_cast<std::size_t>(a.size());
  if (a.dtype().is(py::dtype::of<std::int32_t>())) return {a.data(), size, IndexType::Int32};
  if (a.dtype().is(py::dtype::of<std::int64_t>())) return {a.data(), size, IndexType::Int64};
  throw std::invalid_argument(std::string(what) + " must hold int32 or int64 indices");
}

using Labels = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::span<const double> label_span(const Labels& labels) {
  return {labels.data(), static_cast<std::size_t>(labels.size())};
}

py::array_t<double> to_numpy(const Vector& v) {
  return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
}

// --- datasets ----------------------------------------------------------------------------------

data::Dataset compressed_dataset(py::tuple shape, const py::array& indptr, const py::array& indices,
                                 const py::array& values, const Labels& labels, bool csc) {
  const auto rows = shape[0].cast<Index>();
  const auto cols = shape[1].cast<Index>();
  CompressedBuffers buffers{.outer_size = csc ? cols : rows,
                            .inner_size = csc ? rows : cols,
                            .outer = index_buffer(indptr, "indptr"),
                            .inner = index_buffer(indices, "indices"),
                            .values = value_buffer(values, "data")};
  const py::gil_scoped_release release;
  return csc ? dataset_from_csc(buffers, label_span(labels))
             : dataset_from_csr(buffers, label_span(labels));
}

data::Dataset coo_dataset(py::tuple shape, const py::array& row, const py::array& col,
                          const py::array& values, const Labels& labels) {
  CoordinateBuffers buffers{.rows = shape[0].cast<Index>(),
                            .cols = shape[1].cast<Index>(),
                            .row = index_buffer(row, "row"),
                            .col = index_buffer(col, "col"),
                            .values = value_buffer(values, "data")};
  const py::gil_scoped_release release;
  return dataset_from_coo(buffers, label_span(labels));
}

data::Dataset dense_dataset(const py::array& X, const Labels& labels) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be a 2-D array");
  DenseBuffer buffer{.rows = X.shape(0),
                     .cols = X.shape(1),
                     .row_stride = X.strides(0),
                     .col_stride = X.strides(1),
                     .data = X.data(),
                     .type = ValueType::Float64};
  if (X.dtype().is(py::dtype::of<float>())) {
    buffer.type = ValueType::Float32;
  } else if (!X.dtype().is(py::dtype::of<double>())) {
    throw std::invalid_argument("X must hold float32 or float64 values");
  }
  const py::gil_scoped_release release;
  return dataset_from_dense(buffer, label_span(labels));
}

py::tuple split(const data::Dataset& data, double validation_fraction, std::uint64_t seed,
                bool stratify) {
  const data::SplitOptions options{.train = 1.0 - validation_fraction,
                                   .validation = validation_fraction,
                                   .test = 0.0,
                                   .seed = seed,
                                   .stratify = stratify};
  data::Split parts;
  {
    const py::gil_scoped_release release;
    options.validate();
    parts = data::split_dataset(data, options);
  }
  return py::make_tuple(std::move(parts.train), std::move(parts.validation));
}

void set_weights(data::Dataset& data, const std::optional<py::array_t<double>>& weights) {
  if (!weights) {
    data::set_sample_weights(data, Vector());
    return;
  }
  const auto& w = *weights;
  if (w.ndim() != 1) throw std::invalid_argument("sample weights must be a 1-D array");
  Vector copy(static_cast<Index>(w.shape(0)));
  const auto view = w.unchecked<1>();
  for (py::ssize_t i = 0; i < w.shape(0); ++i)
    copy[static_cast<Index>(i)] = view(i);
  data::set_sample_weights(data, std::move(copy));
}

py::list kfold(const data::Dataset& data, int folds, std::uint64_t seed, bool stratify) {
  std::vector<data::Split> parts;
  {
    const py::gil_scoped_release release;
    parts = data::kfold_split(data, {.folds = folds, .seed = seed, .stratify = stratify});
  }
  py::list out;
  for (data::Split& part : parts)
    out.append(py::make_tuple(std::move(part.train), std::move(part.validation)));
  return out;
}

py::tuple read_libsvm(const std::string& path, Index n_features) {
  data::ReadOptions options;
  options.n_features = n_features;
  options.drop_extra_features = n_features > 0;
  data::Dataset data;
  {
    const py::gil_scoped_release release;
    try {
      data = data::read_libsvm(path, options);
    } catch (const data::ParseError&) {
      throw;
    } catch (const data::MemoryLimitError&) {
      throw;
    } catch (const std::invalid_argument&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw FileError(e.what());
    }
  }
  const SparseMatrix& X = data.X;
  const auto nnz = static_cast<py::ssize_t>(X.nonZeros());
  py::array_t<std::int32_t> indptr(X.rows() + 1, X.outerIndexPtr());
  py::array_t<std::int32_t> indices(nnz, X.innerIndexPtr());
  py::array_t<double> values(nnz, X.valuePtr());
  py::array_t<double> labels(data.rows());
  double* out = labels.mutable_data();
  for (Index i = 0; i < data.rows(); ++i) {
    out[i] = data.y[i] > 0 ? data.labels.positive : data.labels.negative;
  }
  return py::make_tuple(py::make_tuple(X.rows(), X.cols()), indptr, indices, values, labels);
}

// --- options -----------------------------------------------------------------------------------

py::object option_value_to_python(const outer::OptionValue& value) {
  return std::visit([](const auto& v) -> py::object { return py::cast(v); }, value);
}

outer::OptionValue option_value_from_python(const outer::TuneOptionSpec& spec,
                                            const py::handle& value) {
  const std::string name(spec.name);
  const auto refuse = [&](const char* expected) -> outer::OptionError {
    return {name, py::repr(value).cast<std::string>(), expected};
  };
  const auto object = py::reinterpret_borrow<py::object>(value);
  const bool is_bool = py::isinstance<py::bool_>(value) ||
                       py::isinstance(value, py::module_::import("numpy").attr("bool_"));
  const bool is_int =
      !is_bool && (py::isinstance<py::int_>(value) || py::hasattr(value, "__index__"));
  try {
    switch (spec.kind) {
      case outer::OptionKind::Switch:
        if (!is_bool) throw refuse("must be True or False");
        return py::bool_(object).cast<bool>();
      case outer::OptionKind::Integer:
        if (!is_int) throw refuse("must be an integer");
        return py::int_(object).cast<std::int64_t>();
      case outer::OptionKind::Seed:
        if (!is_int) throw refuse("must be an integer");
        if (py::int_(object) < py::int_(0)) throw refuse("must be >= 0");
        return py::int_(object).cast<std::uint64_t>();
      case outer::OptionKind::Real:
        if (is_bool ||
            !(is_int || py::isinstance<py::float_>(value) || py::hasattr(value, "__float__"))) {
          throw refuse("must be a number");
        }
        return py::float_(object).cast<double>();
      case outer::OptionKind::Name:
        if (!py::isinstance<py::str>(value)) throw refuse("must be a string");
        return spec.parse(value.cast<std::string>());
    }
  } catch (const py::cast_error&) {
    throw refuse("is out of range");
  }
  throw refuse("has an unknown kind");
}

// TuneOptions from {table name: value}, set in the table's order (the method first: the
// defaults of some options depend on it), then validated.
outer::TuneOptions tune_options(const py::dict& given, int threads) {
  outer::TuneOptions options;
  std::size_t used = 0;
  for (const outer::TuneOptionSpec& spec : outer::tune_option_table()) {
    const py::str key(std::string(spec.name));
    if (!given.contains(key)) continue;
    const outer::OptionValue value = option_value_from_python(spec, given[key]);
    if (!spec.admits(value)) {
      throw outer::OptionError(std::string(spec.name), outer::TuneOptionSpec::text(value),
                               spec.rule());
    }
    spec.set(options, value);
    ++used;
  }
  if (used != given.size()) {
    for (const auto& item : given) {
      const auto name = py::str(item.first).cast<std::string>();
      if (outer::find_tune_option(name) == nullptr) {
        throw std::invalid_argument("unknown tuning option '" + name +
                                    "' (shine.tune_options() lists them)");
      }
    }
  }
  if (threads < 0) throw std::invalid_argument("threads must be >= 0 (0 = all cores)");
  options.objective.num_threads = threads;
  options.lbfgs.num_threads = threads;
  options.validate();
  return options;
}

py::list option_table() {
  const outer::TuneOptions defaults;
  py::list rows;
  for (const outer::TuneOptionSpec& spec : outer::tune_option_table()) {
    py::dict row;
    row["name"] = std::string(spec.name);
    row["default"] = option_value_to_python(spec.get(defaults));
    row["default_depends_on_method"] = spec.default_depends_on_method;
    row["rule"] = spec.rule();
    row["help"] = std::string(spec.help);
    row["changes_result"] = spec.changes_result(defaults);
    rows.append(row);
  }
  return rows;
}

// --- tuning ------------------------------------------------------------------------------------

// Progress lines of a tuning run, queued for the watching thread.
class Progress final : public outer::Observer {
 public:
  explicit Progress(LineQueue& lines) : lines_(lines) {}
  void on_begin(const outer::TuneInfo& info) override {
    lines_.push(format("shine: tuning lambda by %s: %lld train / %lld validation rows, %lld "
                       "features, %d threads\n",
                       std::string(outer::to_string(info.method)).c_str(),
                       static_cast<long long>(info.train_rows),
                       static_cast<long long>(info.validation_rows),
                       static_cast<long long>(info.features), info.threads) +
                "  it      lambda    val loss  |hypergrad|  inner it    elapsed  step\n");
  }
  bool on_iteration(const outer::OuterRecord& r) override {
    const double lambda = r.lambda.size() == 1 ? r.lambda[0] : std::exp(r.theta.mean());
    lines_.push(format("%4d %11.4g %11.6f %12.3e %9d %8.2f s  %s\n", r.iteration, lambda,
                       r.validation_loss, r.hypergradient_norm, r.inner.iterations,
                       r.elapsed_seconds, std::string(outer::to_string(r.step)).c_str()));
    return false;
  }
  void on_end(const outer::TuneResult& result) override {
    lines_.push("shine: " + std::string(to_string(result.termination)) + ": " + result.message +
                "\n");
  }

 private:
  // Progress lines are short: a fixed buffer holds them.
  template <typename... Args>
  static std::string format(const char* pattern, Args... args) {
    std::array<char, 512> buffer{};
    const int size = std::snprintf(buffer.data(), buffer.size(), pattern, args...);
    return {buffer.data(),
            std::min(static_cast<std::size_t>(std::max(size, 0)), buffer.size() - 1)};
  }
  LineQueue& lines_;
};

py::dict inner_summary(const inner::InnerSummary& s) {
  py::dict d;
  d["termination"] = std::string(to_string(s.termination));
  d["message"] = s.message;
  d["iterations"] = s.iterations;
  d["function_evaluations"] = s.function_evaluations;
  d["gradient_evaluations"] = s.gradient_evaluations;
  d["data_passes"] = s.data_passes;
  d["initial_gradient_norm"] = s.initial_gradient_norm;
  d["final_gradient_norm"] = s.final_gradient_norm;
  d["tolerance"] = s.tolerance;
  d["seconds"] = s.total_seconds;
  return d;
}

py::dict record_dict(const outer::OuterRecord& r) {
  py::dict d;
  d["iteration"] = r.iteration;
  d["theta"] = to_numpy(r.theta);
  d["lambda"] = to_numpy(r.lambda);
  d["validation_loss"] = r.validation_loss;
  d["validation_accuracy"] = r.validation_accuracy;
  d["test_loss"] = r.test_loss;
  d["test_accuracy"] = r.test_accuracy;
  d["hypergradient"] = to_numpy(r.hypergradient);
  d["hypergradient_norm"] = r.hypergradient_norm;
  d["hypergradient_method"] = std::string(hypergrad::to_string(r.hypergradient_summary.method));
  d["cg_iterations"] = r.hypergradient_summary.cg_iterations;
  d["tolerance"] = r.tolerance;
  d["step"] = std::string(outer::to_string(r.step));
  d["returned"] = r.returned;
  d["provisional"] = r.provisional;
  d["curvature"] = r.curvature;
  d["trust_radius"] = r.trust_radius;
  d["inner"] = inner_summary(r.inner);
  d["data_passes"] = r.data_passes;
  d["iteration_seconds"] = r.iteration_seconds;
  d["elapsed_seconds"] = r.elapsed_seconds;
  return d;
}

py::dict tuned_dict(const Tuned& tuned) {
  const outer::TuneResult& r = tuned.trajectory;
  py::dict d;
  d["termination"] = std::string(to_string(r.termination));
  d["message"] = r.message;
  d["has_result"] = r.has_result;
  d["best_iteration"] = r.best_iteration;
  d["lambda"] = tuned.lambda;
  d["lambdas"] = to_numpy(tuned.lambdas);
  d["theta"] = to_numpy(r.theta);
  if (r.has_result) {
    d["coef"] = to_numpy(tuned.model.weights);
    d["intercept"] = tuned.model.intercept;
  } else {
    d["coef"] = py::none();
    d["intercept"] = py::none();
  }
  d["validation_loss"] = r.validation_loss;
  d["validation_accuracy"] = r.validation_accuracy;
  d["test_loss"] = r.test_loss;
  d["test_accuracy"] = r.test_accuracy;
  d["elapsed_seconds"] = r.elapsed_seconds;
  d["rejected_steps"] = r.rejected_steps;
  d["non_finite_hypergradients"] = r.non_finite_hypergradients;
  d["fallbacks"] = r.fallbacks;
  py::list records;
  for (const outer::OuterRecord& record : r.records)
    records.append(record_dict(record));
  d["records"] = records;
  return d;
}

py::dict tune_binding(const data::Dataset& train, const data::Dataset* validation,
                      const data::Dataset* test, std::optional<py::array_t<std::int32_t>> groups,
                      const py::dict& given, int threads, bool verbose,
                      const std::optional<py::list>& folds) {
  outer::TuneProblem problem;
  problem.train = &train;
  problem.validation = validation;
  problem.test = test;
  if (folds) {
    for (const py::handle fold : *folds) {
      const auto pair = fold.cast<py::tuple>();
      if (pair.size() != 2)
        throw std::invalid_argument("each fold must be a (train, validation) pair");
      problem.folds.push_back(
          {&pair[0].cast<const data::Dataset&>(), &pair[1].cast<const data::Dataset&>()});
    }
  }
  if (groups) {
    const auto& g = *groups;
    if (g.ndim() != 1) throw std::invalid_argument("groups must be a 1-D array");
    problem.group_of.assign(g.data(), g.data() + g.size());
    std::int32_t largest = 0;
    for (const std::int32_t group : problem.group_of)
      largest = std::max(largest, group);
    problem.groups = static_cast<Index>(largest) + 1;
  }
  outer::TuneOptions options = tune_options(given, threads);
  problem.validate();
  LineQueue lines;
  Progress progress(lines);
  const Tuned tuned = run_interruptible<Tuned>(
      [&](const std::atomic<bool>& interrupt) {
        options.interrupt = &interrupt;
        std::vector<outer::Observer*> observers;
        if (verbose) observers.push_back(&progress);
        return shine::tune(problem, options, observers);
      },
      verbose ? &lines : nullptr);
  return tuned_dict(tuned);
}

py::dict fit_binding(const data::Dataset& train, double lambda, bool fit_intercept, double tol,
                     int max_iter, int memory, int threads,
                     const std::optional<py::array_t<double>>& start) {
  FitOptions options;
  if (start) {
    if (start->ndim() != 1) throw std::invalid_argument("the starting point must be a 1-D array");
    options.initial_weights.resize(static_cast<Index>(start->shape(0)));
    const auto view = start->unchecked<1>();
    for (py::ssize_t i = 0; i < start->shape(0); ++i)
      options.initial_weights[static_cast<Index>(i)] = view(i);
  }
  options.objective.fit_intercept = fit_intercept;
  options.objective.num_threads = threads;
  options.lbfgs.num_threads = threads;
  options.lbfgs.tolerance = tol;
  options.lbfgs.max_iterations = max_iter;
  options.lbfgs.memory = memory;
  options.validate();
  const Fitted fitted = run_interruptible<Fitted>(
      [&](const std::atomic<bool>& interrupt) {
        options.interrupt = &interrupt;
        return shine::fit(train, lambda, options);
      },
      nullptr);
  py::dict d;
  d["coef"] = to_numpy(fitted.model.weights);
  d["intercept"] = fitted.model.intercept;
  d["lambda"] = lambda;
  d["termination"] = std::string(to_string(fitted.summary.termination));
  d["message"] = fitted.summary.message;
  d["n_iter"] = fitted.summary.iterations;
  d["summary"] = inner_summary(fitted.summary);
  return d;
}

void translate_exceptions(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const outer::OptionError& e) {
    py::object error = option_error_type(e.what());
    error.attr("option") = e.option();
    error.attr("value") = e.value();
    PyErr_SetObject(option_error_type.ptr(), error.ptr());
  } catch (const data::MemoryLimitError& e) {
    PyErr_SetString(PyExc_MemoryError, e.what());
  } catch (const data::ParseError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const FileError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  }
}

}  // namespace
}  // namespace shine::python

PYBIND11_MODULE(_core, m) {
  using namespace shine;
  using namespace shine::python;
  m.doc() = "Bindings of the shine C++ library; use the `shine` package instead.";

  static py::exception<outer::OptionError> option_error(m, "OptionError", PyExc_ValueError);
  option_error.doc() =
      "A tuning option out of its range or inconsistent with another one. `option` is the "
      "option's name in shine's option table and `value` its value, as text.";
  option_error_type = option_error;
  py::register_exception_translator(&translate_exceptions);

  py::class_<data::Dataset>(m, "Dataset",
                            "A dataset held by shine (CSR X, its transpose, ±1 labels).")
      .def_property_readonly("rows", &data::Dataset::rows)
      .def_property_readonly("features", &data::Dataset::features)
      .def_property_readonly("nnz", &data::Dataset::nnz)
      .def_property_readonly("total_weight", &data::Dataset::total_weight);

  m.def(
      "dataset_csr",
      [](py::tuple shape, const py::array& indptr, const py::array& indices,
         const py::array& values, const Labels& labels) {
        return compressed_dataset(shape, indptr, indices, values, labels, false);
      },
      py::arg("shape"), py::arg("indptr"), py::arg("indices"), py::arg("data"), py::arg("labels"));
  m.def(
      "dataset_csc",
      [](py::tuple shape, const py::array& indptr, const py::array& indices,
         const py::array& values, const Labels& labels) {
        return compressed_dataset(shape, indptr, indices, values, labels, true);
      },
      py::arg("shape"), py::arg("indptr"), py::arg("indices"), py::arg("data"), py::arg("labels"));
  m.def("dataset_coo", &coo_dataset, py::arg("shape"), py::arg("row"), py::arg("col"),
        py::arg("data"), py::arg("labels"));
  m.def("dataset_dense", &dense_dataset, py::arg("X"), py::arg("labels"));
  m.def("split", &split, py::arg("data"), py::arg("validation_fraction"), py::arg("seed"),
        py::arg("stratify"));
  m.def("read_libsvm", &read_libsvm, py::arg("path"), py::arg("n_features"));
  m.def("set_weights", &set_weights, py::arg("data"), py::arg("weights").none(true),
        "Sets (or clears, with None) the sample weights of a dataset, one per row.");
  m.def("kfold", &kfold, py::arg("data"), py::arg("folds"), py::arg("seed"), py::arg("stratify"),
        "The (train, validation) datasets of k-fold cross-validation (data::kfold_split).");
  m.def("tune", &tune_binding, py::arg("train"), py::arg("validation").none(true),
        py::arg("test").none(true), py::arg("groups").none(true), py::arg("options"),
        py::arg("threads"), py::arg("verbose"), py::arg("folds").none(true) = py::none());
  m.def("fit", &fit_binding, py::arg("train"), py::arg("lam"), py::arg("fit_intercept"),
        py::arg("tol"), py::arg("max_iter"), py::arg("memory"), py::arg("threads"),
        py::arg("start") = py::none());
  m.def("option_table", &option_table);
}
