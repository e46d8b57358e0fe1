// Sample and class weights of a Dataset: validation, files, the balanced rule, and splits.
#include "shine/data/sample_weights.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "support/random_problems.hpp"

namespace shine::data {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("shine_weights_" + name);
  std::ofstream(path) << text;
  return path.string();
}

// The message of the ParseError that `f` throws, with its line and column.
template <class F>
std::string parse_error(F&& f, std::int64_t& line, std::int64_t& column) {
  try {
    f();
  } catch (const ParseError& e) {
    line = e.line();
    column = e.column();
    return e.what();
  }
  ADD_FAILURE() << "no ParseError";
  return {};
}

TEST(SampleWeights, SetValidatesAndLeavesTheDataUnchangedOnError) {
  Dataset data = test::random_dataset(5, 3, 0.5, 1);
  EXPECT_FALSE(data.weighted());
  EXPECT_EQ(data.total_weight(), 5.0);
  Vector good(5);
  good << 1.0, 0.0, 2.5, 1.0, 0.5;
  set_sample_weights(data, good);
  EXPECT_TRUE(data.weighted());
  EXPECT_EQ(data.total_weight(), 5.0);

  const auto rejects = [&data, &good](Vector bad, const std::string& words) {
    try {
      set_sample_weights(data, std::move(bad));
      ADD_FAILURE() << "accepted: " << words;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
    EXPECT_EQ(data.weights, good);
  };
  rejects(Vector::Ones(4), "weights has 4 entries for 5 rows");
  Vector negative = good;
  negative[2] = -1.0;
  rejects(negative, "the weight of sample 2 is -1, must be finite and >= 0");
  Vector nan = good;
  nan[4] = std::nan("");
  rejects(nan, "the weight of sample 4 is nan");
  rejects(Vector::Zero(5), "every sample weight is 0");

  set_sample_weights(data, Vector());
  EXPECT_FALSE(data.weighted());
}

TEST(SampleWeights, BalancedClassWeightsGiveEachClassHalfTheTotal) {
  Dataset data = test::random_dataset(40, 5, 0.5, 2);
  const Index positives = data.positives();
  const ClassWeights balanced = balanced_class_weights(data);
  EXPECT_DOUBLE_EQ(balanced.positive, 40.0 / (2.0 * static_cast<double>(positives)));
  EXPECT_DOUBLE_EQ(balanced.negative, 40.0 / (2.0 * static_cast<double>(40 - positives)));
  // On top of existing weights: multiplied.
  set_sample_weights(data, Vector::Constant(40, 2.0));
  apply_class_weights(data, balanced);
  double positive_total = 0.0;
  for (Index i = 0; i < data.rows(); ++i) {
    EXPECT_DOUBLE_EQ(data.weights[i],
                     2.0 * (data.y[i] > 0 ? balanced.positive : balanced.negative));
    if (data.y[i] > 0) positive_total += data.weights[i];
  }
  EXPECT_NEAR(positive_total, data.total_weight() / 2.0, 1e-12 * data.total_weight());

  EXPECT_THROW(apply_class_weights(data, {0.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(apply_class_weights(data, {1.0, std::nan("")}), std::invalid_argument);
  std::vector<Index> positive_rows;
  for (Index i = 0; i < data.rows(); ++i)
    if (data.y[i] > 0) positive_rows.push_back(i);
  const Dataset one_class = select_rows(data, positive_rows, "positives");
  EXPECT_THROW((void)balanced_class_weights(one_class), std::invalid_argument);
}

TEST(SampleWeights, FilesAreReadWithCommentsAndBlankLines) {
  const std::string path = write_file("good.txt", "# weights\n1\n\n  2.5  # the second\n0\n1e-3\n");
  const Vector w = read_sample_weights(path, 4);
  ASSERT_EQ(w.size(), 4);
  EXPECT_EQ(w[0], 1.0);
  EXPECT_EQ(w[1], 2.5);
  EXPECT_EQ(w[2], 0.0);
  EXPECT_EQ(w[3], 1e-3);
}

TEST(SampleWeights, BadFilesNameTheFileLineAndFix) {
  std::int64_t line = -1, column = -1;
  const std::string bad = write_file("bad.txt", "1\n  x2\n");
  EXPECT_NE(parse_error([&] { (void)read_sample_weights(bad, 2); }, line, column)
                .find("'x2' is not a weight: one finite number >= 0 per line"),
            std::string::npos);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 3);
  for (const char* text : {"-1\n", "nan\n", "inf\n", "1e999\n", "1 2\n"}) {
    const std::string path = write_file("bad_value.txt", text);
    EXPECT_THROW((void)read_sample_weights(path, 1), ParseError) << text;
  }
  const std::string many = write_file("many.txt", "1\n1\n1\n");
  EXPECT_NE(parse_error([&] { (void)read_sample_weights(many, 2); }, line, column)
                .find("more weights than the 2 rows"),
            std::string::npos);
  EXPECT_EQ(line, 3);
  const std::string few = write_file("few.txt", "1\n");
  EXPECT_NE(parse_error([&] { (void)read_sample_weights(few, 2); }, line, column)
                .find("1 weights for the 2 rows"),
            std::string::npos);
  EXPECT_THROW((void)read_sample_weights("/nonexistent/weights.txt", 1), std::runtime_error);
  EXPECT_THROW((void)read_sample_weights(std::filesystem::temp_directory_path().string(), 1),
               std::runtime_error);
}

TEST(SampleWeights, SplitsAndRowSelectionsKeepEachRowsWeight) {
  Dataset data = test::random_dataset(200, 10, 0.3, 4);
  Vector weights(200);
  for (Index i = 0; i < 200; ++i)
    weights[i] = 1.0 + static_cast<double>(i);  // weight = 1 + original row index
  set_sample_weights(data, weights);
  // The row of a part is found again by its (distinct) weight: the labels and X agree.
  const auto check_part = [&data](const Dataset& part) {
    ASSERT_TRUE(part.weighted());
    for (Index i = 0; i < part.rows(); ++i) {
      const auto source = static_cast<Index>(part.weights[i]) - 1;
      EXPECT_EQ(part.y[i], data.y[source]);
      EXPECT_EQ(Vector(part.X.row(i).transpose()), Vector(data.X.row(source).transpose()));
    }
  };
  const Split copied = split_dataset(data, {.seed = 3});
  for (const Dataset* part : {&copied.train, &copied.validation, &copied.test})
    check_part(*part);
  EXPECT_DOUBLE_EQ(
      copied.train.total_weight() + copied.validation.total_weight() + copied.test.total_weight(),
      data.total_weight());
  Dataset consumed_source = data;
  const Split consumed = split_dataset(std::move(consumed_source), {.seed = 3});
  EXPECT_EQ(consumed.train.weights, copied.train.weights);
  EXPECT_EQ(consumed.validation.weights, copied.validation.weights);
  EXPECT_EQ(consumed.test.weights, copied.test.weights);
  const std::vector<Index> rows{5, 5, 0};
  const Dataset picked = select_rows(data, rows, "picked");
  EXPECT_EQ(picked.weights, Vector((Vector(3) << 6.0, 6.0, 1.0).finished()));
}

}  // namespace
}  // namespace shine::data
