// The LIBSVM writer: one line per row, values in their shortest exact form (std::to_chars),
// compressed through a Boost.Iostreams filter when asked, into an AtomicFile so that a failure
// leaves the old file or none, never a torn one. The text is built in a string flushed every
// 1 MiB, so the stream sees few large writes whatever the row lengths; a label other than +-1 or
// a non-finite value stops the write (to a path: the temporary is removed, the old file kept).

#include <algorithm>
#include <array>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>

#include "data/libsvm_common.hpp"
#include "shine/core/atomic_file.hpp"
#include "shine/data/libsvm_io.hpp"

// GCC 12 reports a false -Wrestrict inside the inlined gzip_compressor code of Boost 1.74 (an
// impossible memcpy size on a branch that cannot be taken); silence it for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <boost/iostreams/filter/gzip.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace shine::data {
namespace {

namespace io = boost::iostreams;
using detail::format_number;

Compression compression_from_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".xz") return Compression::Xz;
  if (extension == ".bz2") return Compression::Bzip2;
  if (extension == ".gz") return Compression::Gzip;
  return Compression::None;
}

void write_text(const Dataset& data, std::ostream& output, const WriteOptions& options) {
  const bool plain_signs = !options.original_labels || data.labels.is_identity();
  const std::string positive = plain_signs ? "+1" : format_number(data.labels.positive);
  const std::string negative = plain_signs ? "-1" : format_number(data.labels.negative);

  const StorageIndex* row_ptr = data.X.outerIndexPtr();
  const StorageIndex* col = data.X.innerIndexPtr();
  const double* val = data.X.valuePtr();
  const StorageIndex* inner_nnz = data.X.innerNonZeroPtr();

  std::string out;
  constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  out.reserve(kFlushBytes + 4096);
  std::array<char, 64> number{};
  for (Index i = 0; i < data.rows(); ++i) {
    const double label = data.y[i];
    if (label != 1.0 && label != -1.0) {
      throw std::runtime_error("label of row " + std::to_string(i) + " is " + format_number(label) +
                               ", must be -1 or +1");
    }
    out += label > 0.0 ? positive : negative;
    const StorageIndex begin = row_ptr[i];
    const StorageIndex end = inner_nnz != nullptr ? begin + inner_nnz[i] : row_ptr[i + 1];
    for (StorageIndex k = begin; k < end; ++k) {
      if (!std::isfinite(val[k])) {
        throw std::runtime_error("X(" + std::to_string(i) + ", " + std::to_string(col[k]) +
                                 ") is not finite; LIBSVM files hold finite values only");
      }
      char* p = number.data();
      *p++ = ' ';
      p = std::to_chars(p, number.data() + number.size(), Index{col[k]} + 1).ptr;
      *p++ = ':';
      p = std::to_chars(p, number.data() + number.size(), val[k]).ptr;
      out.append(number.data(), p);
    }
    out += '\n';
    if (out.size() >= kFlushBytes) {
      output.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  }
  output.write(out.data(), static_cast<std::streamsize>(out.size()));
  output.flush();
  if (!output) throw std::runtime_error("write error");
}

}  // namespace

void write_libsvm(const Dataset& data, std::ostream& output, const WriteOptions& options) {
  write_text(data, output, options);
}

void write_libsvm(const Dataset& data, const std::filesystem::path& path,
                  const WriteOptions& options) {
  const Compression compression = options.compression.value_or(compression_from_extension(path));
  try {
    // Temporary, fsync and rename: a kill leaves the old file or the new one, never a torn one.
    AtomicFile file(path);
    if (compression == Compression::None) {
      write_text(data, file.stream(), options);
    } else {
      io::filtering_ostream out;
      switch (compression) {
        case Compression::Xz:
          out.push(io::lzma_compressor(io::lzma_params(io::lzma::default_compression)));
          break;
        case Compression::Bzip2:
          out.push(io::bzip2_compressor());
          break;
        case Compression::Gzip:
          out.push(io::gzip_compressor());
          break;
        case Compression::None:
          break;
      }
      out.push(file.stream());
      write_text(data, out, options);
      out.reset();  // flushes and closes the compressor, which writes its trailer
    }
    file.commit();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write '" + path.string() + "': " + e.what());
  }
}
}  // namespace shine::data
