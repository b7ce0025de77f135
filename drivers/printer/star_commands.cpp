#include "drivers/printer/star_commands.h"

namespace tillbridge::drivers {
namespace {

constexpr std::uint8_t kNul = 0x00;
constexpr std::uint8_t kEtx = 0x03;
constexpr std::uint8_t kAck = 0x06;
constexpr std::uint8_t kBel = 0x07;
constexpr std::uint8_t kVt = 0x0B;
constexpr std::uint8_t kFf = 0x0C;
constexpr std::uint8_t kSo = 0x0E;
constexpr std::uint8_t kSi = 0x0F;
constexpr std::uint8_t kDc4 = 0x14;
constexpr std::uint8_t kSyn = 0x16;
constexpr std::uint8_t kEm = 0x19;
constexpr std::uint8_t kEsc = 0x1B;
constexpr std::uint8_t kFs = 0x1C;
constexpr std::uint8_t kGs = 0x1D;
constexpr std::uint8_t kRs = 0x1E;

// Longest lists the terminated commands carry; longer ones are corrupt.
constexpr std::uint64_t kTabListLimit = 64;   // ESC B / ESC D positions
constexpr std::uint64_t kBarcodeLimit = 256;  // ESC b data up to RS
constexpr std::uint64_t kSwitchLimit = 32;    // ESC # / ESC GS # up to NUL

// Parameter bytes after ESC <cmd> for the fixed-length commands; -1 marks
// commands handled separately or unknown.
constexpr int EscParamCount(std::uint8_t cmd) {
  switch (cmd) {
    case '@':  // initialize
    case 'E':  // emphasis on / off
    case 'F':
    case '4':  // white/black inversion on / off
    case '5':
    case 'M':  // 12, 15, 16, 14 dot pitch
    case 'P':
    case ':':
    case 'g':
    case '6':  // character sets 1 / 2
    case '7':
    case '0':  // line spacing presets
    case '1':
    case '2':
    case 'O':  // cancel bottom margin
    case 'p':  // Kanji mode on / off
    case 'q':
    case kSo:  // double height on / off
    case kDc4:
      return 0;
    case 'R':  // international set
    case '/':  // slash zero
    case ' ':  // right space
    case 'W':  // width / height expansion
    case 'h':
    case '-':  // underline, upperline
    case '_':
    case 'a':  // feed n lines
    case 'z':  // line spacing
    case 'J':  // feed n/4 mm, n/8 mm, reverse feed
    case 'I':
    case 'j':
    case 'A':  // line spacing in n units
    case '3':
    case 'y':
    case 'N':  // bottom, left and right margins
    case 'l':
    case 'Q':
    case '%':   // download characters on / off
    case '$':   // Kanji mode
    case 'd':   // cut
    case kAck:  // ESC ACK SOH: status now
    case kFf:   // raster page end (ESC FF NUL / EOT), slip function
    case kSi:   // slip sensor
      return 1;
    case 'i':  // height and width expansion
    case 's':  // Kanji spacing
    case 't':
    case kBel:  // drawer pulse width
    case kVt:   // slip feed
    case kSyn:  // presenter
    case '?':   // reset: ESC ? LF NUL
      return 2;
    default:
      return -1;
  }
}

// ESC RS <cmd> n: font, rotation, ASB, density, speed, two colours, logo
// batch, black mark, print region, head check.
constexpr bool IsEscRsWithOneParam(std::uint8_t cmd) {
  switch (cmd) {
    case 'F':
    case 'i':
    case 'a':
    case 'd':
    case 'r':
    case 'E':
    case 'c':
    case 'C':
    case 'L':
    case 'm':
    case 'A':
    case '#':
      return true;
    default:
      return false;
  }
}

constexpr bool IsDigit(std::uint8_t byte) { return byte >= '0' && byte <= '9'; }

std::uint64_t Word(std::uint8_t low, std::uint8_t high) { return low + (std::uint64_t{high} << 8); }

// Reads one header; the methods mirror the command prefixes.
class Shaper {
 public:
  Shaper(const std::uint8_t* header, std::size_t size, std::uint64_t max_payload)
      : header_(header), header_size_(size), max_payload_(max_payload) {}
  StarCommandShape AnalyzeHeader() const;

 private:
  StarCommandShape AnalyzeEsc() const;
  StarCommandShape AnalyzeEscGs() const;
  StarCommandShape AnalyzeEscRs() const;
  StarCommandShape AnalyzeEscFs() const;
  StarCommandShape AnalyzeRaster() const;
  StarCommandShape Need(std::size_t total) const;
  StarCommandShape Skip(std::uint64_t count) const;

  const std::uint8_t* header_;
  std::size_t header_size_;
  std::uint64_t max_payload_;
};

StarCommandShape Shaper::Need(std::size_t total) const {
  return {header_size_ < total ? StarCommandShape::kNeedMore : StarCommandShape::kDone};
}

StarCommandShape Shaper::Skip(std::uint64_t count) const {
  if (count > max_payload_) return {StarCommandShape::kUnknown};
  return {StarCommandShape::kSkip, count};
}

StarCommandShape Shaper::AnalyzeHeader() const {
  return header_[0] == kEsc ? AnalyzeEsc() : AnalyzeRaster();
}

StarCommandShape Shaper::AnalyzeRaster() const {
  // b n1 n2 d1..dk (row, then line feed) or k n1 n2 d1..dk (row).
  if (header_size_ < 3) return {};
  return Skip(Word(header_[1], header_[2]));
}

StarCommandShape Shaper::AnalyzeEsc() const {
  if (header_size_ < 2) return {};
  const std::uint8_t cmd = header_[1];
  switch (cmd) {
    case kGs:
      return AnalyzeEscGs();
    case kRs:
      return AnalyzeEscRs();
    case kFs:
      return AnalyzeEscFs();
    case 'C':  // page length: ESC C n lines, ESC C NUL n in 24 mm units
      if (header_size_ < 3) return {};
      return Need(header_[2] == kNul ? 4 : 3);
    case 'B':  // vertical / horizontal tab positions, NUL terminated
    case 'D':
      return {StarCommandShape::kSkipUntil, kTabListLimit, kNul};
    case '#':  // memory switches: ESC # ... LF NUL
      return {StarCommandShape::kSkipUntil, kSwitchLimit, kNul};
    case 'K':    // ESC K n1 n2: standard density, one byte per column
    case 'L':    // ESC L n1 n2: high density, one byte per column
    case 'k':    // ESC k n1 n2: fine density, n bytes wide by 24 rows
    case 'X': {  // ESC X n1 n2: 24-dot columns, three bytes each
      if (header_size_ < 4) return {};
      const std::uint64_t n = Word(header_[2], header_[3]);
      if (cmd == 'k') return Skip(n * 24);
      if (cmd == 'X') return Skip(n * 3);
      return Skip(n);
    }
    case '^': {  // ESC ^ m n1 n2: 9/16-dot (two bytes) or 18-dot columns
      if (header_size_ < 5) return {};
      const std::uint8_t m = header_[2] >= '0' ? header_[2] - '0' : header_[2];
      return Skip(Word(header_[3], header_[4]) * (m >= 4 ? 3 : 2));
    }
    case '&': {  // ESC & c1 c2 n: defines (c2 = 1, 48 bytes follow) or deletes
      if (header_size_ < 5) return {};
      if (header_[3] == 1 || header_[3] == '1') return Skip(48);
      return {StarCommandShape::kDone};
    }
    case 'b':  // barcode: ESC b n1 n2 n3 n4 d1..dk RS
      if (header_size_ < 6) return {};
      return {StarCommandShape::kSkipUntil, kBarcodeLimit, kRs, true};
    case '*': {  // raster commands ESC * r X ...
      if (header_size_ < 3) return {};
      if (header_[2] != 'r') return {StarCommandShape::kUnknown};
      if (header_size_ < 4) return {};
      switch (header_[3]) {
        case 'A':  // enter, quit, clear, initialize
        case 'B':
        case 'C':
        case 'R':
          return {StarCommandShape::kDone};
        case 'm':  // ESC * r m l n NUL / ESC * r m r n NUL: margins
          if (header_size_ < 5) return {};
          if (header_[4] != 'l' && header_[4] != 'r') return {StarCommandShape::kUnknown};
          return {StarCommandShape::kDecimal};
        case 'D':  // ESC * r X n NUL, n in ASCII digits
        case 'E':
        case 'F':
        case 'K':
        case 'N':
        case 'P':
        case 'Q':
        case 'T':
        case 'V':
        case 'Y':
          return {StarCommandShape::kDecimal};
        default:
          return {StarCommandShape::kUnknown};
      }
    }
    default: {
      const int params = EscParamCount(cmd);
      if (params < 0) return {StarCommandShape::kUnknown};
      return Need(2 + static_cast<std::size_t>(params));
    }
  }
}

StarCommandShape Shaper::AnalyzeEscGs() const {
  if (header_size_ < 3) return {};
  switch (header_[2]) {
    case 't':  // code page
    case 'a':  // alignment
      return Need(4);
    case 'A':  // absolute / relative position n1 n2
    case 'R':
      return Need(5);
    case 'g':   // print start trigger / timer: g 0|1 m n
    case kEtx:  // print start control: ETX s n1 n2
    case kBel:  // external buzzer: BEL m t1 t2
      return Need(6);
    case kEm:  // external buzzer: EM DC1|DC2 m n1 n2
      return Need(7);
    case '#':  // memory switch, up to LF NUL
      return {StarCommandShape::kSkipUntil, kSwitchLimit, kNul};
    case 'P': {  // page mode
      if (header_size_ < 4) return {};
      switch (header_[3]) {
        case '0':  // enter, leave, print and leave ...
        case '1':
        case '4':
        case '5':
        case '6':
        case '7':
          return {StarCommandShape::kDone};
        case '2':  // print direction n
          return Need(5);
        case '3':  // print region xL xH yL yH dxL dxH dyL dyH
          return Need(12);
        default:
          return {StarCommandShape::kUnknown};
      }
    }
    case 'y': {  // QR code
      if (header_size_ < 4) return {};
      switch (header_[3]) {
        case 'S':  // S 0 model, S 1 correction level, S 2 cell size: one byte each
          return Need(6);
        case 'D':
          if (header_size_ < 5) return {};
          if (header_[4] == '1') {  // D 1 m nL nH data
            if (header_size_ < 8) return {};
            return Skip(Word(header_[6], header_[7]));
          }
          if (header_[4] == '2') {  // D 2 a, then a blocks of m nL nH data
            if (header_size_ < 6) return {};
            StarCommandShape blocks{StarCommandShape::kBlocks, header_[5]};
            blocks.block_kind = StarBlockKind::kQrData;
            return blocks;
          }
          return {StarCommandShape::kUnknown};
        case 'P':  // print, get information
        case 'I':
          return {StarCommandShape::kDone};
        default:
          return {StarCommandShape::kUnknown};
      }
    }
    case 'x': {  // PDF417
      if (header_size_ < 4) return {};
      switch (header_[3]) {
        case 'S':
          if (header_size_ < 5) return {};
          if (header_[4] == '0') return Need(8);  // S 0 n p1 p2: size
          if (header_[4] >= '1' && header_[4] <= '3') return Need(6);
          return {StarCommandShape::kUnknown};
        case 'D':  // D nL nH data
          if (header_size_ < 6) return {};
          return Skip(Word(header_[4], header_[5]));
        case 'P':
        case 'I':
          return {StarCommandShape::kDone};
        default:
          return {StarCommandShape::kUnknown};
      }
    }
    case '*': {  // marks, numbers in ASCII digits
      if (header_size_ < 4) return {};
      switch (header_[3]) {
        case '0': {  // * 0 nnn m1..mn: print n marks
          if (header_size_ < 7) return {};
          if (!IsDigit(header_[4]) || !IsDigit(header_[5]) || !IsDigit(header_[6])) {
            return {StarCommandShape::kUnknown};
          }
          return Skip((header_[4] - '0') * 100u + (header_[5] - '0') * 10u + (header_[6] - '0'));
        }
        case '1':  // * 1 hhh vvv: height and feed
          return Need(10);
        case '2':  // * 2 m c www: colour and width
          return Need(9);
        case 'W':  // store, reset
        case 'C':
          return {StarCommandShape::kDone};
        default:
          return {StarCommandShape::kUnknown};
      }
    }
    default:
      return {StarCommandShape::kUnknown};
  }
}

StarCommandShape Shaper::AnalyzeEscRs() const {
  if (header_size_ < 3) return {};
  if (!IsEscRsWithOneParam(header_[2])) return {StarCommandShape::kUnknown};
  return Need(4);
}

StarCommandShape Shaper::AnalyzeEscFs() const {
  if (header_size_ < 3) return {};
  switch (header_[2]) {
    case 'p':  // print logo n in mode m
      return Need(5);
    case 'q': {  // store logos: n, then per logo xL xH yL yH data
      if (header_size_ < 4) return {};
      StarCommandShape blocks{StarCommandShape::kBlocks, header_[3]};
      blocks.block_kind = StarBlockKind::kLogo;
      return blocks;
    }
    default:
      return {StarCommandShape::kUnknown};
  }
}

}  // namespace

StarCommandShape ShapeOfStarCommand(const std::uint8_t* header, std::size_t size,
                                    std::uint64_t max_payload) {
  if (size == 0) return {};
  return Shaper(header, size, max_payload).AnalyzeHeader();
}

std::size_t StarBlockHeaderSize(StarBlockKind kind) {
  return kind == StarBlockKind::kQrData ? 3 : 4;
}

std::uint64_t StarBlockDataSize(StarBlockKind kind, const std::uint8_t* block_header) {
  if (kind == StarBlockKind::kQrData) {
    // m nL nH: data type, then nL + nH * 256 bytes of data.
    return Word(block_header[1], block_header[2]);
  }
  // xL xH yL yH: x by y units of 8 dots, one bit per dot.
  return Word(block_header[0], block_header[1]) * Word(block_header[2], block_header[3]) * 8;
}

}  // namespace tillbridge::drivers
