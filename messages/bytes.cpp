#include "messages/bytes.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "messages/errc.hpp"

namespace ooo::storage {

namespace {

std::atomic<size_t> wire_limit{size_t{64} << 20};

} // namespace

size_t bytes::max_wire_size() noexcept {
  return wire_limit.load(std::memory_order_relaxed);
}

void bytes::max_wire_size(size_t n) noexcept {
  wire_limit.store(n, std::memory_order_relaxed);
}

bytes::block* bytes::allocate(size_t n) noexcept {
  auto* mem = static_cast<block*>(std::malloc(sizeof(block) + n));
  return mem ? new (mem) block{{1}, static_cast<uint32_t>(n)} : nullptr;
}

bytes::block* bytes::new_block(size_t n) {
  if (n == 0)
    return nullptr;
  if (n > UINT32_MAX)
    throw std::length_error("a value of more than 4 GiB");
  if (auto* b = allocate(n))
    return b;
  throw std::bad_alloc{};
}

bytes::bytes(const char* first, size_t n) : block_(new_block(n)) {
  if (block_)
    std::memcpy(block_ + 1, first, n);
}

bytes::bytes(size_t n, char c) : block_(new_block(n)) {
  if (block_)
    std::memset(block_ + 1, c, n);
}

void bytes::release() noexcept {
  if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block_->~block();
    std::free(block_);
  }
  block_ = nullptr;
}

caf::error bytes::read(caf::deserializer& source, bytes& x) {
  size_t n = 0;
  if (auto err = source.begin_sequence(n))
    return err;
  // The length comes from the wire: check it before anything is allocated for it.
  size_t left = SIZE_MAX;
  if (auto* binary = dynamic_cast<caf::binary_deserializer*>(&source))
    left = binary->remaining();
  if (n > max_wire_size() || n > left)
    return make_error(errc::too_large, "a value of " + std::to_string(n)
                                         + " bytes announced on the wire (the limit is "
                                         + std::to_string(std::min(max_wire_size(), left))
                                         + ")");
  if (n == 0) {
    x = bytes{};
    return source.end_sequence();
  }
  bytes result;
  result.block_ = allocate(n);
  if (result.block_ == nullptr)
    return caf::make_error(caf::sec::runtime_error, "out of memory for a value");
  if (auto err = source.apply_raw(n, result.block_ + 1))
    return err;
  x = std::move(result);
  return source.end_sequence();
}

caf::error bytes::write(caf::serializer& sink, const bytes& x) {
  auto n = x.size();
  if (auto err = sink.begin_sequence(n))
    return err;
  if (n > 0)
    if (auto err = sink.apply_raw(n, const_cast<char*>(x.data())))
      return err;
  return sink.end_sequence();
}

} // namespace ooo::storage
