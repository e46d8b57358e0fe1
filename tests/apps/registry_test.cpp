#include "registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "support/paths.hpp"

namespace shine::data {
namespace {

namespace fs = std::filesystem;

TEST(Registry, DefaultRegistryNamesThePapersDatasets) {
  const Registry registry = Registry::load_default();
  for (const char* name :
       {"real-sim", "news20.binary", "rcv1.binary", "a9a", "20news", "spamassassin"}) {
    EXPECT_NE(registry.find(name), nullptr) << name;
  }
  const RegistryEntry* real_sim = registry.find("real-sim");
  ASSERT_NE(real_sim, nullptr);
  EXPECT_EQ(real_sim->rows, 72309);
  EXPECT_EQ(real_sim->features, 20958);
  ASSERT_NE(real_sim->file("train"), nullptr);
  EXPECT_NE(real_sim->file("train")->url.find("real-sim.bz2"), std::string::npos);
  const RegistryEntry* news = registry.find("20news");
  ASSERT_NE(news, nullptr);
  EXPECT_EQ(news->rows, 18846);
  EXPECT_EQ(news->features, 130107);
  EXPECT_EQ(registry.find("no-such-dataset"), nullptr);
}

TEST(Registry, LocatesTheShippedDataset) {
  const Registry registry = Registry::load_default();
  const RegistryEntry* spam = registry.find("spamassassin");
  ASSERT_NE(spam, nullptr);
  const auto path = registry.locate(*spam, "train");
  ASSERT_TRUE(path.has_value());
  EXPECT_TRUE(fs::exists(*path));
  EXPECT_EQ(path->filename(), "spamassassin.uni.svm.xz");
  EXPECT_FALSE(registry.locate(*spam, "test").has_value());
}

TEST(Registry, LocatesSharedDataWhenPresent) {
  SHINE_REQUIRE_SHARED_DATA(file, "20news-sklearn/20news.svm.xz");
  const Registry registry = Registry::load_default();
  const auto path = registry.locate(*registry.find("20news"), "train");
  ASSERT_TRUE(path.has_value());
  EXPECT_TRUE(fs::equivalent(*path, file));
}

TEST(Registry, RejectsMalformedFilesWithTheirName) {
  const fs::path dir = fs::temp_directory_path() / "shine_registry_test";
  fs::create_directories(dir);
  const fs::path bad = dir / "registry.json";
  {
    std::ofstream out(bad);
    out << "{\"format\": \"shine-dataset-registry\", \"datasets\": {\"x\": {\"files\": {}}}}";
  }
  try {
    Registry::load(bad);
    FAIL() << "a registry without a shape was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
  {
    std::ofstream out(bad);
    out << "{\"datasets\": {}}";
  }
  EXPECT_THROW(Registry::load(bad), std::runtime_error);
  EXPECT_THROW(Registry::load(dir / "missing.json"), std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shine::data
