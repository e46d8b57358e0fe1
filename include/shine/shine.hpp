#pragma once
/// @file
/// The one include a user of shine needs: every public header of the library (a test checks that
/// none is missing). The library's private headers live in src/ and are not installed.
///
/// Modules, in data-flow order:
/// - `shine::data`      — Dataset (CSR X and Xᵀ, ±1 labels), LIBSVM input/output, splits, registry;
/// - `shine::objective` — the logistic inner objective h(w, θ) and the held-out loss f(w);
/// - `shine::linalg`    — OpenMP sparse kernels, the linear-operator concept, conjugate gradient;
/// - `shine::inner`     — L-BFGS whose inverse-Hessian memory outlives the solve;
/// - `shine::hypergrad` — hypergradients: hoag, shine, shine-opa, shine-refine, jacobian-free;
/// - `shine::outer`     — the tuning loop (HOAG's adaptive step, grid and random search);
/// - `shine::model`     — a fitted model: predictions, JSON model files, liblinear export;
/// - `shine::report`    — the JSON trajectory of a tuning run (an observer of the loop).

#include "shine/core/atomic_file.hpp"
#include "shine/core/communicator.hpp"
#include "shine/core/mpi_environment.hpp"
#include "shine/core/status.hpp"
#include "shine/core/timer.hpp"
#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/distributed.hpp"
#include "shine/data/feature_groups.hpp"
#include "shine/data/libsvm_io.hpp"
#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "shine/data/tuning_parts.hpp"
#include "shine/estimator.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_memory.hpp"
#include "shine/inner/lbfgs_options.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/inner/line_search.hpp"
#include "shine/inner/smooth_objective.hpp"
#include "shine/linalg/conjugate_gradient.hpp"
#include "shine/linalg/function_ref.hpp"
#include "shine/linalg/linear_operator.hpp"
#include "shine/linalg/sparse_kernels.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/logistic_loss.hpp"
#include "shine/objective/objective_options.hpp"
#include "shine/objective/outer_objective.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/outer/early_stopping.hpp"
#include "shine/outer/hoag_step.hpp"
#include "shine/outer/observer.hpp"
#include "shine/outer/protocol.hpp"
#include "shine/outer/secant_step.hpp"
#include "shine/outer/tolerance_schedule.hpp"
#include "shine/outer/tune_option_table.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tune_problem.hpp"
#include "shine/outer/tune_result.hpp"
#include "shine/outer/tuner.hpp"
#include "shine/report/trajectory.hpp"
