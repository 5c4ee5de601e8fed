#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include "caf/binary_deserializer.hpp"
#include "caf/deserializer.hpp"
#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/serializer.hpp"
#include "caf/sec.hpp"

namespace ooo::storage {

/// An immutable, reference-counted byte buffer: a stored value. One allocation holds the count,
/// the size and the bytes; copies share it. The store keeps a value once and hands the same
/// buffer to the map, the reply, the event, the retained history and the persistence record,
/// so no value is copied on its way through the store.
///
/// Its read interface is a `std::vector<char>`'s (`data`, `size`, `empty`, `begin`, `end`,
/// `[]`, `==`); it is built from a range, a string view, an initializer list or `n` copies of
/// a byte, and never changes afterwards (`assign` replaces the buffer).
///
/// On the wire it is a length and the raw bytes, like CAF's byte buffers. Unlike them, reading
/// checks the length before allocating: a length larger than `max_wire_size()` or than the
/// bytes left in the message is refused, so a peer cannot make a node allocate what a forged
/// length announces.
class bytes {
public:
  using value_type = char;
  using size_type = size_t;
  using const_iterator = const char*;
  using iterator = const char*;

  bytes() noexcept = default;

  bytes(const char* first, size_t n);

  bytes(size_t n, char c);

  bytes(std::initializer_list<char> xs) : bytes(xs.begin(), xs.size()) {
    // nop
  }

  explicit bytes(std::string_view x) : bytes(x.data(), x.size()) {
    // nop
  }

  template <class Iterator,
            class = typename std::iterator_traits<Iterator>::iterator_category>
  bytes(Iterator first, Iterator last) {
    using category = typename std::iterator_traits<Iterator>::iterator_category;
    if constexpr (std::is_base_of<std::random_access_iterator_tag, category>::value
                  && std::is_same<typename std::iterator_traits<Iterator>::value_type,
                                  char>::value) {
      *this = bytes(first == last ? nullptr : &*first, static_cast<size_t>(last - first));
    } else {
      std::string tmp(first, last);
      *this = bytes(tmp.data(), tmp.size());
    }
  }

  bytes(const bytes& other) noexcept : block_(other.block_) {
    if (block_)
      block_->refs.fetch_add(1, std::memory_order_relaxed);
  }

  bytes(bytes&& other) noexcept : block_(other.block_) {
    other.block_ = nullptr;
  }

  bytes& operator=(const bytes& other) noexcept {
    bytes tmp{other};
    std::swap(block_, tmp.block_);
    return *this;
  }

  bytes& operator=(bytes&& other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }

  ~bytes() {
    release();
  }

  const char* data() const noexcept {
    return block_ ? reinterpret_cast<const char*>(block_ + 1) : nullptr;
  }

  size_t size() const noexcept {
    return block_ ? block_->size : 0;
  }

  bool empty() const noexcept {
    return size() == 0;
  }

  const char* begin() const noexcept {
    return data();
  }

  const char* end() const noexcept {
    return data() + size();
  }

  char operator[](size_t i) const noexcept {
    return data()[i];
  }

  std::string_view view() const noexcept {
    return {data(), size()};
  }

  /// Replaces the buffer with a copy of [first, last).
  template <class Iterator>
  void assign(Iterator first, Iterator last) {
    *this = bytes(first, last);
  }

  /// How many `bytes` share this buffer (0 for an empty one).
  uint32_t use_count() const noexcept {
    return block_ ? block_->refs.load(std::memory_order_relaxed) : 0;
  }

  /// The largest length a message may announce for a value (64 MiB unless changed): far above
  /// any value the store accepts (`options::max_value_size`), far below what could hurt a node.
  static size_t max_wire_size() noexcept;

  static void max_wire_size(size_t n) noexcept;

  /// Reads a length and that many bytes from `source`, refusing a length over
  /// `max_wire_size()` or over what is left in the message before allocating anything.
  static caf::error read(caf::deserializer& source, bytes& x);

  /// Writes the length and the bytes.
  static caf::error write(caf::serializer& sink, const bytes& x);

private:
  struct block {
    std::atomic<uint32_t> refs;
    uint32_t size;
  };

  /// A block for `n` > 0 bytes (at most 4 GiB) with one reference; null when out of memory.
  static block* allocate(size_t n) noexcept;

  /// A block for `n` bytes, null for 0; throws when `n` is over 4 GiB or memory is out.
  static block* new_block(size_t n);

  void release() noexcept;

  block* block_ = nullptr;
};

inline bool operator==(const bytes& x, const bytes& y) noexcept {
  return x.view() == y.view();
}

inline bool operator!=(const bytes& x, const bytes& y) noexcept {
  return !(x == y);
}

inline bool operator<(const bytes& x, const bytes& y) noexcept {
  return x.view() < y.view();
}

/// Serialization for CAF (see `bytes::read`); for other inspectors (`to_string`) the bytes.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bytes& x) {
  if constexpr (std::is_base_of<caf::deserializer, Inspector>::value) {
    return bytes::read(f, x);
  } else if constexpr (std::is_base_of<caf::serializer, Inspector>::value) {
    return bytes::write(f, x);
  } else {
    std::string text(x.begin(), x.end());
    return f(caf::meta::type_name("ooo::storage::bytes"), text);
  }
}

} // namespace ooo::storage
