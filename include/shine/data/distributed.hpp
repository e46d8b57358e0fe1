#pragma once
/// @file
/// Datasets spread by rows over a group of processes (`core::Communicator`, e.g. MPI): each
/// process reads and holds only its rows, and the objectives sum over the group
/// (`Dataset::communicator`). Every function here is collective: every process of the group
/// calls it, in the same order, with the same arguments.
///
/// Rows keep the order of the file: process 0 holds the first rows, process 1 the next ones,
/// and so on, so that the whole dataset is the concatenation of the parts in rank order.
///
/// @code
/// shine::core::MpiEnvironment mpi(&argc, &argv);
/// auto part = shine::data::read_libsvm_part("train.svm", mpi.world());
/// auto split = shine::data::split_part(part, {.seed = 0});   // the rows split_dataset picks
/// auto tuned = shine::tune(split.train, split.validation, shine::TuneOptions{});
/// @endcode

#include <filesystem>
#include <utility>
#include <vector>

#include "shine/core/communicator.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"

namespace shine::data {

/// One process's rows of a dataset spread over a group, and where they sit in the whole.
struct DatasetPart {
  Dataset data;          ///< This process's rows (`data.communicator` is the group).
  Index first_row = 0;   ///< Row of the whole dataset that is `data`'s row 0.
  Index total_rows = 0;  ///< Rows of the whole dataset.
};

/// Reads this process's rows of a LIBSVM text file: the file's bytes are cut into
/// `communicator.size()` equal ranges and a process holds the rows that start in its range, so
/// that it reads about 1/P of the file and no row is read twice. The processes agree on the
/// feature count (the largest index of the whole file, unless `options.n_features` forces it)
/// and on the label mapping (from the two labels of the whole file, unless `options.labels`
/// forces it), so every part has the columns and ±1 labels of a `read_libsvm` of the whole
/// file. A part may hold no row (more processes than lines).
///
/// A compressed file cannot be cut into byte ranges: with more than one process it is an
/// `std::invalid_argument` that says to decompress it first (one process reads it whole).
///
/// Errors are agreed as well: when any process fails (a malformed line, a file it cannot open,
/// the memory limit), **every** process throws the same exception (`ParseError` with the line
/// number in the whole file, `UnexpectedLabelError`, `FeatureBeyondCountError`,
/// `MemoryLimitError`, `std::runtime_error`), the first failing rank's, so that no process is
/// left waiting.
DatasetPart read_libsvm_part(const std::filesystem::path& path,
                             const core::Communicator& communicator,
                             const ReadOptions& options = {}, ReadReport* report = nullptr);

/// Where `data`'s rows sit in the whole: the first row of this process's part and the rows of
/// the whole dataset, from every process's row count (a collective call when `data` has a
/// communicator; {0, rows} otherwise).
[[nodiscard]] std::pair<Index, Index> row_offsets(const Dataset& data);

/// This process's share of a dataset that every process holds whole (e.g. built in memory): the
/// rows [n·r/P, n·(r+1)/P) of `whole`, with the communicator set.
DatasetPart rows_of_rank(const Dataset& whole, const core::Communicator& communicator);

/// The seeded split of a dataset spread over the group: each part holds this process's rows of
/// exactly the rows that `split_dataset(whole, options)` puts in it, in the same order, so a
/// tuning run over the parts solves the same problem as one process over the whole. Every
/// process draws the same permutation of all `total_rows` rows (memory: 16 bytes per row of the
/// whole dataset; stratified: the labels of every row are gathered first, one byte each). The
/// parts' communicator is `part.data.communicator`. Throws `std::invalid_argument` as
/// `split_dataset` does, on every process alike.
Split split_part(const DatasetPart& part, const SplitOptions& options = {});

/// The k-fold cross-validation parts of a dataset spread over the group: fold j's parts hold
/// this process's rows of exactly the rows `kfold_split(whole, options)` puts in them (every
/// process deals the same seeded shuffle of all the rows; stratified: after gathering every
/// row's label, one byte each). Throws `std::invalid_argument` as `kfold_split` does, on every
/// process alike.
std::vector<Split> kfold_part(const DatasetPart& part, const KFoldOptions& options = {});

}  // namespace shine::data
