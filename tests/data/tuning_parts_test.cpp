// The parts of a tuning run: the split of the training source gives the parts no source was given
// for (their fractions go to train), sources are read in order with the training data to align
// to, weight files are attached before the split, and with a group each process holds its rows of
// the parts one process would have.
#include "shine/data/tuning_parts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/sample_weights.hpp"
#include "support/random_problems.hpp"
#include "support/thread_communicator.hpp"

namespace shine::data {
namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() /
         ("shine-tuning-parts-" + std::to_string(::getpid()) + "-" + name);
}

// Files removed at the end of a test.
class TempFiles {
 public:
  TempFiles() = default;
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  ~TempFiles() {
    std::error_code ignored;
    for (const fs::path& path : paths_)
      fs::remove(path, ignored);
  }
  fs::path add(const std::string& name) { return paths_.emplace_back(temp_path(name)); }

 private:
  std::vector<fs::path> paths_;
};

// The same rows, labels and weights.
void expect_same(const Dataset& actual, const Dataset& expected) {
  ASSERT_EQ(actual.rows(), expected.rows());
  ASSERT_EQ(actual.features(), expected.features());
  EXPECT_EQ((actual.X - expected.X).norm(), 0.0);
  EXPECT_EQ(actual.y, expected.y);
  ASSERT_EQ(actual.weights.size(), expected.weights.size());
  EXPECT_EQ(actual.weights, expected.weights);
}

// Sources named in `datasets`, returned whole, each read recorded as "role:source".
struct MemoryReader {
  std::map<std::string, Dataset> datasets;
  std::vector<std::string> reads;

  TuningReader reader() {
    return [this](const std::string& source, const std::string& role, const Dataset* train,
                  const core::Communicator* communicator) {
      EXPECT_EQ(communicator, nullptr);
      EXPECT_EQ(train == nullptr, role == "train");
      reads.push_back(role + ":" + source);
      DatasetPart part{.data = datasets.at(source)};
      part.total_rows = part.data.rows();
      return part;
    };
  }
};

TEST(LoadTuningParts, SplitsTheThreePartsOffTrainWhenNoOtherSourceIsGiven) {
  MemoryReader memory;
  memory.datasets["all"] = test::random_dataset(200, 12, 0.3, 1);
  TuningSources sources;
  sources.train = "all";
  sources.split = {.train = 0.8, .validation = 0.1, .test = 0.1, .seed = 3, .stratify = true};
  sources.read = memory.reader();
  const TuningParts parts = load_tuning_parts(sources);
  const Split reference = split_dataset(memory.datasets["all"], sources.split);
  expect_same(parts.train, reference.train);
  expect_same(parts.validation, reference.validation);
  expect_same(parts.test, reference.test);
  EXPECT_EQ(parts.train_rows, reference.train.rows());
  EXPECT_EQ(parts.validation_rows, reference.validation.rows());
  EXPECT_EQ(parts.test_rows, reference.test.rows());
  EXPECT_EQ(parts.split.train, 0.8);
  EXPECT_EQ(parts.split.validation, 0.1);
  EXPECT_EQ(parts.split.test, 0.1);
  EXPECT_EQ(parts.split.seed, 3U);
  EXPECT_TRUE(parts.split.stratify);
  EXPECT_EQ(memory.reads, std::vector<std::string>{"train:all"});
}

TEST(LoadTuningParts, APartGivenBySourceGivesItsFractionToTrain) {
  MemoryReader memory;
  memory.datasets["all"] = test::random_dataset(200, 12, 0.3, 1);
  memory.datasets["held"] = test::random_dataset(30, 12, 0.3, 2);
  TuningSources sources;
  sources.train = "all";
  sources.split.seed = 5;
  sources.read = memory.reader();

  sources.test = "held";
  TuningParts parts = load_tuning_parts(sources);
  EXPECT_EQ(parts.split.train, 0.9 + 0.05);
  EXPECT_EQ(parts.split.validation, 0.05);
  EXPECT_EQ(parts.split.test, 0.0);
  Split reference = split_dataset(memory.datasets["all"], parts.split);
  expect_same(parts.train, reference.train);
  expect_same(parts.validation, reference.validation);
  expect_same(parts.test, memory.datasets["held"]);
  EXPECT_EQ(parts.test_rows, 30);

  sources.test.reset();
  sources.validation = "held";
  parts = load_tuning_parts(sources);
  EXPECT_EQ(parts.split.train, 0.9 + 0.05);
  EXPECT_EQ(parts.split.validation, 0.0);
  EXPECT_EQ(parts.split.test, 0.05);
  reference = split_dataset(memory.datasets["all"], parts.split);
  expect_same(parts.train, reference.train);
  expect_same(parts.validation, memory.datasets["held"]);
  expect_same(parts.test, reference.test);

  // Cross-validation: no validation part, its fraction goes to train.
  sources.validation.reset();
  sources.cross_validation = true;
  parts = load_tuning_parts(sources);
  EXPECT_EQ(parts.split.train, 0.9 + 0.05);
  EXPECT_EQ(parts.validation.rows(), 0);
  EXPECT_EQ(parts.validation_rows, 0);
  reference = split_dataset(memory.datasets["all"], parts.split);
  expect_same(parts.train, reference.train);
  expect_same(parts.test, reference.test);
}

TEST(LoadTuningParts, BothHeldOutSourcesKeepTrainWholeAndAreReadInOrder) {
  MemoryReader memory;
  memory.datasets["all"] = test::random_dataset(50, 6, 0.4, 1);
  memory.datasets["v"] = test::random_dataset(20, 6, 0.4, 2);
  memory.datasets["t"] = test::random_dataset(10, 6, 0.4, 3);
  TuningSources sources;
  sources.train = "all";
  sources.validation = "v";
  sources.test = "t";
  sources.read = memory.reader();
  const TuningParts parts = load_tuning_parts(sources);
  expect_same(parts.train, memory.datasets["all"]);
  expect_same(parts.validation, memory.datasets["v"]);
  expect_same(parts.test, memory.datasets["t"]);
  EXPECT_EQ(memory.reads, (std::vector<std::string>{"train:all", "validation:v", "test:t"}));
}

TEST(LoadTuningParts, WeightFilesAreAttachedBeforeTheSplit) {
  TempFiles files;
  MemoryReader memory;
  Dataset all = test::random_dataset(100, 8, 0.4, 4);
  memory.datasets["all"] = all;
  const fs::path weights = files.add("weights.txt");
  {
    std::ofstream out(weights);
    for (Index i = 0; i < all.rows(); ++i)
      out << 1 + i % 4 << "\n";
  }
  TuningSources sources;
  sources.train = "all";
  sources.train_weights = weights.string();
  sources.read = memory.reader();
  const TuningParts parts = load_tuning_parts(sources);
  attach_weight_file(all, weights.string());
  const Split reference = split_dataset(all, sources.split);
  ASSERT_TRUE(parts.train.weighted());
  expect_same(parts.train, reference.train);
  expect_same(parts.validation, reference.validation);
  expect_same(parts.test, reference.test);

  const fs::path zeros = files.add("zeros.txt");
  {
    std::ofstream out(zeros);
    for (Index i = 0; i < all.rows(); ++i)
      out << "0\n";
  }
  sources.train_weights = zeros.string();
  EXPECT_THROW((void)load_tuning_parts(sources), ParseError);
}

TEST(LoadTuningParts, ReadsLibsvmFilesWithTheTrainingDataFeaturesAndLabels) {
  TempFiles files;
  const fs::path train = files.add("train.svm");
  const fs::path test = files.add("test.svm");
  {
    std::ofstream out(train);
    for (int i = 0; i < 40; ++i)
      out << (i % 2 == 0 ? 3 : 7) << " 1:" << i << " " << 2 + i % 3 << ":1\n";
  }
  {
    std::ofstream out(test);
    out << "7 1:1 9:2\n3 2:1\n";
  }
  TuningSources sources;
  sources.train = train.string();
  sources.test = test.string();
  const TuningParts parts = load_tuning_parts(sources);
  EXPECT_EQ(parts.test.features(), 4);
  EXPECT_EQ(parts.test.rows(), 2);
  EXPECT_EQ(parts.test.labels.positive, parts.train.labels.positive);
  EXPECT_EQ(parts.test.y[0], parts.train.labels.positive == 7.0 ? 1.0 : -1.0);
  EXPECT_EQ(parts.test.y[1], -parts.test.y[0]);
  EXPECT_EQ(parts.train_rows + parts.validation_rows, 40);

  // A held-out label outside the training data's two labels.
  {
    std::ofstream out(test);
    out << "5 1:1\n";
  }
  EXPECT_THROW((void)load_tuning_parts(sources), UnexpectedLabelError);
}

TEST(LoadTuningParts, WithAGroupEachProcessHoldsItsRowsOfTheWholeSplit) {
  TempFiles files;
  const fs::path path = files.add("group.svm");
  {
    std::ofstream out(path);
    for (int i = 0; i < 90; ++i)
      out << (i % 3 == 0 ? 1 : -1) << " " << 1 + i % 5 << ":" << 0.5 + i << " 6:1\n";
  }
  const fs::path weights = files.add("group-weights.txt");
  {
    std::ofstream out(weights);
    for (int i = 0; i < 90; ++i)
      out << 1 + i % 3 << "\n";
  }
  TuningSources sources;
  sources.train = path.string();
  sources.train_weights = weights.string();
  sources.split.seed = 9;
  Dataset whole = read_libsvm(path);
  attach_weight_file(whole, weights.string());
  const Split reference = split_dataset(whole, sources.split);
  for (const int ranks : {2, 3}) {
    std::vector<Index> train_rows(static_cast<std::size_t>(ranks));
    double weight = 0.0;
    std::mutex mutex;
    test::run_ranks(ranks, [&](const core::Communicator& communicator) {
      TuningSources mine = sources;
      mine.communicator = &communicator;
      const TuningParts parts = load_tuning_parts(mine);
      const std::lock_guard lock(mutex);
      EXPECT_EQ(parts.train.communicator, &communicator);
      EXPECT_EQ(parts.validation.communicator, &communicator);
      EXPECT_EQ(parts.test.communicator, &communicator);
      EXPECT_EQ(parts.train_rows, reference.train.rows());
      EXPECT_EQ(parts.validation_rows, reference.validation.rows());
      EXPECT_EQ(parts.test_rows, reference.test.rows());
      train_rows[static_cast<std::size_t>(communicator.rank())] = parts.train.rows();
      weight += parts.train.weights.sum();
    });
    Index total = 0;
    for (const Index rows : train_rows)
      total += rows;
    EXPECT_EQ(total, reference.train.rows());
    EXPECT_EQ(weight, reference.train.weights.sum());
  }
}

}  // namespace
}  // namespace shine::data
