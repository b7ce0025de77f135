// The shapes of Star Line Mode and StarPRNT commands: how long a command's
// header is and what follows it (nothing, counted data, data up to a
// terminator, ASCII digits, or counted blocks). The Star decoder's state
// machine (star_decoder.cpp) walks the bytes with these answers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tillbridge::drivers {

// Data sent as a counted list of blocks, each with its own small header.
enum class StarBlockKind {
  kQrData,  // ESC GS y D 2: m nL nH, then nL + nH * 256 bytes
  kLogo,    // ESC FS q: xL xH yL yH, then x * y * 8 bytes
};

// What a (partial) command header means.
struct StarCommandShape {
  enum Kind {
    kNeedMore,   // the header goes on
    kDone,       // the header is the whole command
    kSkip,       // `count` bytes of data follow
    kSkipUntil,  // data follows up to `terminator`, at most `count` bytes
    kDecimal,    // ASCII digits follow, up to NUL
    kBlocks,     // `count` blocks of `block_kind` follow
    kUnknown,    // no command the decoder knows, or corrupt
  };
  Kind kind = kNeedMore;
  std::uint64_t count = 0;
  std::uint8_t terminator = 0;
  bool stop_at_control = false;  // kSkipUntil: a control byte cuts the command short
  StarBlockKind block_kind = StarBlockKind::kQrData;
};

// Classifies the command whose first `size` bytes are `header`: ESC and what
// follows it, or (in raster mode) a raster row starting with `b` or `k`.
// Never asks for more than 12 header bytes. Data declared larger than
// `max_payload` makes the command kUnknown, as a corrupt header.
StarCommandShape ShapeOfStarCommand(const std::uint8_t* header, std::size_t size,
                                    std::uint64_t max_payload);

// The header bytes of one block of `kind`.
std::size_t StarBlockHeaderSize(StarBlockKind kind);
// The data bytes a block header (StarBlockHeaderSize bytes) declares.
std::uint64_t StarBlockDataSize(StarBlockKind kind, const std::uint8_t* block_header);

}  // namespace tillbridge::drivers
