// The byte sources of the LIBSVM reader (see byte_source.hpp for the chain and its contract).
//
// PrefetchingReader's hand-off between the parser's thread (the consumer) and its worker thread:
// every field marked "guarded" is read and written under mutex_, and either side notifies
// changed_ after a change the other waits for. The worker fills blocks of kBlockBytes outside the
// lock and appends them to ready_ in input order, keeping at most kDepth blocks there; the
// consumer owns current_ (the block it is copying out of) without the lock, and hands it back
// through spare_ when it has used it up, so that at most kDepth + 1 blocks ever exist (ready,
// being filled, being read, spare) and none is allocated again after the first few. A short block
// ends the input: the worker sets finished_ and exits. An exception of the inner reader is stored
// in error_ (with finished_) after every block decoded before it, so the consumer rethrows it only
// once it has used them up, and the error surfaces at the line where the damage starts. The
// destructor sets stop_ and joins: a worker waiting for room exits at once, one inside a read
// after that read.

#include "data/byte_source.hpp"

#include <algorithm>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zlib.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "data/libsvm_common.hpp"

namespace shine::data::detail {
namespace {

namespace io = boost::iostreams;

// Buffer size handed to the decompressors and to the raw source under them.
constexpr std::streamsize kFilterBufferBytes = std::streamsize{1} << 16;

class PlainReader final : public ByteReader {
 public:
  explicit PlainReader(PrefixedSource source) : source_(source) {}
  std::size_t read(char* out, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      const std::streamsize got = source_.read(out + done, static_cast<std::streamsize>(n - done));
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  PrefixedSource source_;
};

class DecompressingReader final : public ByteReader {
 public:
  DecompressingReader(Compression compression, PrefixedSource source) {
    switch (compression) {
      case Compression::Xz:
        buffer_.push(io::lzma_decompressor(kFilterBufferBytes));
        break;
      case Compression::Bzip2:
        buffer_.push(io::bzip2_decompressor(io::bzip2::default_small, kFilterBufferBytes));
        break;
      case Compression::Gzip:
        buffer_.push(io::gzip_decompressor(io::gzip::default_window_bits, kFilterBufferBytes));
        break;
      case Compression::None:
        break;
    }
    buffer_.push(source, kFilterBufferBytes);
  }
  std::size_t read(char* out, std::size_t n) override {
    // sgetn only returns short at the end of the stream; decompressor errors propagate as
    // exceptions (the stream buffer does not swallow them, unlike an istream).
    return static_cast<std::size_t>(buffer_.sgetn(out, static_cast<std::streamsize>(n)));
  }

 private:
  io::filtering_istreambuf buffer_;
};

// Runs another reader on a helper thread, a few blocks ahead of the parser, so that decompression
// and parsing overlap on two cores. An error of the inner reader is rethrown by read() once the
// blocks decoded before it have been consumed, so it surfaces at the right line.
class PrefetchingReader final : public ByteReader {
 public:
  explicit PrefetchingReader(std::unique_ptr<ByteReader> inner) : inner_(std::move(inner)) {
    worker_ = std::thread([this] { run(); });
  }
  PrefetchingReader(const PrefetchingReader&) = delete;
  PrefetchingReader& operator=(const PrefetchingReader&) = delete;
  ~PrefetchingReader() override {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }

  std::size_t read(char* out, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      if (position_ == current_.size()) {
        if (at_end_) break;
        std::unique_lock lock(mutex_);
        if (current_.capacity() > 0) spare_.push_back(std::move(current_));
        changed_.notify_all();
        changed_.wait(lock, [this] { return !ready_.empty() || finished_; });
        if (ready_.empty()) {
          at_end_ = true;
          if (error_) std::rethrow_exception(error_);
          break;
        }
        current_ = std::move(ready_.front());
        ready_.pop_front();
        position_ = 0;
        continue;
      }
      const std::size_t take = std::min(n - done, current_.size() - position_);
      std::memcpy(out + done, current_.data() + position_, take);
      position_ += take;
      done += take;
    }
    return done;
  }

 private:
  static constexpr std::size_t kDepth = 3;  // blocks decoded ahead of the parser

  void run() {
    for (;;) {
      std::vector<char> block;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || ready_.size() < kDepth; });
        if (stop_) return;
        if (!spare_.empty()) {
          block = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      block.resize(kBlockBytes);
      std::size_t got = 0;
      try {
        got = inner_->read(block.data(), kBlockBytes);
      } catch (...) {
        const std::lock_guard lock(mutex_);
        error_ = std::current_exception();
        finished_ = true;
        changed_.notify_all();
        return;
      }
      block.resize(got);
      {
        const std::lock_guard lock(mutex_);
        if (got > 0) ready_.push_back(std::move(block));
        if (got < kBlockBytes) finished_ = true;
      }
      changed_.notify_all();
      if (got < kBlockBytes) return;
    }
  }

  std::unique_ptr<ByteReader> inner_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> ready_;   // decoded blocks, oldest first (guarded)
  std::vector<std::vector<char>> spare_;  // consumed blocks to reuse (guarded)
  bool stop_ = false;                     // guarded
  bool finished_ = false;                 // guarded: the worker has read its last block
  std::exception_ptr error_;              // guarded
  std::vector<char> current_;             // consumer side only
  std::size_t position_ = 0;
  bool at_end_ = false;
};

std::string describe_zlib_error(int code) {
  if (code == io::zlib::data_error) return "damaged data";
  if (code == io::zlib::buf_error) return "the stream ends early";
  return "zlib error " + std::to_string(code);
}

}  // namespace

std::streamsize PrefixedSource::read(char* out, std::streamsize n) {
  std::streamsize done = 0;
  while (prefix_pos_ < prefix_size_ && done < n)
    out[done++] = prefix_[prefix_pos_++];
  if (done < n) {
    input_->read(out + done, n - done);
    if (input_->bad()) {
      throw std::runtime_error(std::strerror(errno));
    }
    done += input_->gcount();
  }
  return done == 0 ? -1 : done;
}

std::unique_ptr<ByteReader> make_plain_reader(PrefixedSource source) {
  return std::make_unique<PlainReader>(source);
}

std::unique_ptr<ByteReader> make_decompressing_reader(Compression compression,
                                                      PrefixedSource source) {
  return std::make_unique<DecompressingReader>(compression, source);
}

std::unique_ptr<ByteReader> make_prefetching_reader(std::unique_ptr<ByteReader> inner) {
  return std::make_unique<PrefetchingReader>(std::move(inner));
}

Compression detect_compression(const std::array<char, 8>& head, std::size_t size) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  if (size >= 6 && byte(0) == 0xFD && head[1] == '7' && head[2] == 'z' && head[3] == 'X' &&
      head[4] == 'Z' && byte(5) == 0x00) {
    return Compression::Xz;
  }
  if (size >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' &&
      head[3] <= '9') {
    return Compression::Bzip2;
  }
  if (size >= 2 && byte(0) == 0x1F && byte(1) == 0x8B) return Compression::Gzip;
  return Compression::None;
}

bool is_zstd(const std::array<char, 8>& head, std::size_t size) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  return size >= 4 && byte(0) == 0x28 && byte(1) == 0xB5 && byte(2) == 0x2F && byte(3) == 0xFD;
}

std::string describe_decompression_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const io::lzma_error& e) {
    if (e.error() == io::lzma::buf_error) return "the stream ends early";
    if (e.error() == io::lzma::data_error) return "damaged data";
    return "liblzma error " + std::to_string(e.error());
  } catch (const io::bzip2_error& e) {
    if (e.error() == io::bzip2::unexpected_eof) return "the stream ends early";
    if (e.error() == io::bzip2::data_error || e.error() == io::bzip2::data_error_magic) {
      return "damaged data";
    }
    return "libbz2 error " + std::to_string(e.error());
  } catch (const io::gzip_error& e) {
    if (e.error() == io::gzip::bad_crc || e.error() == io::gzip::bad_length) {
      return "checksum or length mismatch";
    }
    if (e.error() == io::gzip::bad_header) return "bad header";
    if (e.error() == io::gzip::bad_footer) return "the stream ends early";
    if (e.error() == io::gzip::zlib_error) return describe_zlib_error(e.zlib_error_code());
    return "gzip error " + std::to_string(e.error());
  } catch (const io::zlib_error& e) {
    return describe_zlib_error(e.error());
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace shine::data::detail
