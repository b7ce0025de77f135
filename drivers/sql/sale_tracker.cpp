#include "drivers/sql/sale_tracker.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tillbridge::drivers {
namespace {

constexpr std::string_view kMagic = "tbsql1";

bool IsPlain(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Ids are the POS's own text, so anything outside [A-Za-z0-9._-] is
// %-escaped to keep the separators unambiguous.
std::string Escape(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (IsPlain(c)) {
      out += c;
    } else {
      out += '%';
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += kHex[static_cast<unsigned char>(c) & 0xF];
    }
  }
  return out;
}

std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      if (!IsPlain(text[i])) return std::nullopt;
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || ptr != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::optional<std::int64_t> ParseInt64(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  for (;;) {
    const size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

bool ValidState(char c) { return c == 'C' || c == 'R' || c == 'V' || c == 'H' || c == 'I'; }
bool ValidKind(char c) { return c == '-' || c == 'S' || c == 'R' || c == 'V' || c == 'A'; }

// "<id>" or "<id>~<cursor column value>"; both parts %-escaped, so '~'
// cannot occur inside them.
bool DecodeKey(std::string_view text, std::string& id, std::string& sequence) {
  const size_t tilde = text.find('~');
  auto decoded = Unescape(text.substr(0, tilde));
  if (!decoded || decoded->empty()) return false;
  id = std::move(*decoded);
  sequence.clear();
  if (tilde == std::string_view::npos) return true;
  auto value = Unescape(text.substr(tilde + 1));
  if (!value || value->empty()) return false;
  sequence = std::move(*value);
  return true;
}

std::string EncodeList(const std::vector<TrackedSale>& sales);

// Entry: "<id>" for the common case (completed, sale emitted, revision 1),
// else "<id>:<state><kind><revision>[@<since>]".
std::string EncodeEntry(const TrackedSale& sale) {
  std::string out = Escape(sale.id);
  if (!sale.sequence.empty()) out += "~" + Escape(sale.sequence);
  if (sale.state == PosState::kCompleted && sale.last == EmittedKind::kSale && sale.revision == 1 &&
      sale.since == 0) {
    return out;
  }
  out += ':';
  out += static_cast<char>(sale.state);
  out += static_cast<char>(sale.last);
  out += std::to_string(sale.revision);
  if (sale.since != 0) {
    out += '@';
    out += std::to_string(sale.since);
  }
  return out;
}

std::optional<TrackedSale> DecodeEntry(std::string_view text) {
  TrackedSale sale;
  const size_t colon = text.find(':');
  if (!DecodeKey(text.substr(0, colon), sale.id, sale.sequence)) return std::nullopt;
  if (colon == std::string_view::npos) {
    sale.state = PosState::kCompleted;
    sale.last = EmittedKind::kSale;
    sale.revision = 1;
    return sale;
  }
  std::string_view rest = text.substr(colon + 1);
  if (rest.size() < 3 || !ValidState(rest[0]) || !ValidKind(rest[1])) return std::nullopt;
  sale.state = static_cast<PosState>(rest[0]);
  sale.last = static_cast<EmittedKind>(rest[1]);
  rest.remove_prefix(2);
  const size_t at = rest.find('@');
  auto revision = ParseInt64(rest.substr(0, at));
  if (!revision || *revision < 0) return std::nullopt;
  sale.revision = *revision;
  if (at != std::string_view::npos) {
    auto since = ParseInt64(rest.substr(at + 1));
    if (!since) return std::nullopt;
    sale.since = *since;
  }
  return sale;
}

std::string EncodeList(const std::vector<TrackedSale>& sales) {
  std::string out;
  for (size_t i = 0; i < sales.size(); ++i) {
    if (i > 0) out += ',';
    out += EncodeEntry(sales[i]);
  }
  return out;
}

}  // namespace

TrackedSale* SourceCursor::Find(std::string_view id) {
  for (auto* list : {&window, &held}) {
    for (auto& sale : *list) {
      if (sale.id == id) return &sale;
    }
  }
  return nullptr;
}

std::string EncodeCursor(const SourceCursor& cursor) {
  if (!cursor.started) return "";
  std::string out(kMagic);
  out += ";hw=" + Escape(cursor.high_water);
  if (!cursor.high_water_sequence.empty()) out += "~" + Escape(cursor.high_water_sequence);
  out += ";w=" + EncodeList(cursor.window);
  out += ";h=" + EncodeList(cursor.held);
  out += ";g=";
  for (size_t i = 0; i < cursor.gaps.size(); ++i) {
    if (i > 0) out += ',';
    out += Escape(cursor.gaps[i].first) + "@" + std::to_string(cursor.gaps[i].second);
  }
  // Written only when used, so cursors of id-ordered profiles keep the
  // five-part form that earlier versions wrote and read.
  if (!cursor.marks.empty() || !cursor.baskets.empty()) {
    out += ";m=";
    for (size_t i = 0; i < cursor.marks.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(cursor.marks[i].first) + "@" + Escape(cursor.marks[i].second);
    }
    out += ";b=" + EncodeList(cursor.baskets);
  }
  return out;
}

Result<SourceCursor> DecodeCursor(std::string_view text) {
  SourceCursor cursor;
  if (text.empty()) return cursor;
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("stored cursor '" + std::string(text.substr(0, 60)) +
                                   (text.size() > 60 ? "...'" : "'") +
                                   " is not a POS database cursor (" + why + ")");
  };
  const auto parts = Split(text, ';');
  if ((parts.size() != 5 && parts.size() != 7) || parts[0] != kMagic) {
    return bad("unknown format or version");
  }
  cursor.started = true;
  const std::string_view names[] = {"hw=", "w=", "h=", "g=", "m=", "b="};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i + 1].substr(0, names[i].size()) != names[i]) {
      return bad("expected '" + std::string(names[i]) + "'");
    }
  }
  const std::string_view high_water = parts[1].substr(3);
  if (!high_water.empty() &&
      !DecodeKey(high_water, cursor.high_water, cursor.high_water_sequence)) {
    return bad("bad high-water id");
  }
  std::vector<std::pair<std::vector<TrackedSale>*, std::string_view>> lists = {
      {&cursor.window, parts[2].substr(2)}, {&cursor.held, parts[3].substr(2)}};
  if (parts.size() == 7) {
    lists.emplace_back(&cursor.baskets, parts[6].substr(2));
    for (std::string_view item : Split(parts[5].substr(2), ',')) {
      const size_t at = item.find('@');
      if (at == std::string_view::npos) return bad("bad mark entry");
      auto noticed = ParseInt64(item.substr(0, at));
      auto id = Unescape(item.substr(at + 1));
      if (!id || !noticed) return bad("bad mark entry");
      cursor.marks.emplace_back(*noticed, *id);
    }
  }
  for (auto [list, body] : lists) {
    for (std::string_view item : Split(body, ',')) {
      auto entry = DecodeEntry(item);
      if (!entry) return bad("bad entry '" + std::string(item.substr(0, 40)) + "'");
      list->push_back(std::move(*entry));
    }
  }
  for (std::string_view item : Split(parts[4].substr(2), ',')) {
    const size_t at = item.find('@');
    if (at == std::string_view::npos) return bad("bad gap entry");
    auto id = Unescape(item.substr(0, at));
    auto noticed = ParseInt64(item.substr(at + 1));
    if (!id || !noticed) return bad("bad gap entry");
    cursor.gaps.emplace_back(*id, *noticed);
  }
  return cursor;
}

bool AbandonDue(const TrackedSale& entry, UnixMillis now, std::int64_t abandon_after_ms) {
  return entry.state == PosState::kHeld && entry.last != EmittedKind::kAbandoned &&
         entry.last != EmittedKind::kSale && now - entry.since >= abandon_after_ms;
}

std::optional<EmittedKind> ObserveSale(TrackedSale& entry, bool is_new, PosState state,
                                       UnixMillis now, std::int64_t abandon_after_ms) {
  const PosState previous = entry.state;
  std::optional<EmittedKind> kind;
  switch (state) {
    case PosState::kCompleted:
      if (entry.last != EmittedKind::kSale) kind = EmittedKind::kSale;
      break;
    case PosState::kRefunded:
      if (entry.last != EmittedKind::kRefund) kind = EmittedKind::kRefund;
      break;
    case PosState::kVoided:
      if (!is_new && previous == PosState::kHeld &&
          (entry.last == EmittedKind::kNone || entry.last == EmittedKind::kVoid)) {
        // A held basket discarded at the counter: abandoned if it was held
        // long enough, otherwise it simply ends without an event.
        if (now - entry.since >= abandon_after_ms) kind = EmittedKind::kAbandoned;
      } else if (entry.last != EmittedKind::kVoid && entry.last != EmittedKind::kAbandoned) {
        kind = EmittedKind::kVoid;
      }
      break;
    case PosState::kHeld:
      if (!is_new && previous != PosState::kHeld) entry.since = now;  // held again (restored)
      entry.state = state;
      if (AbandonDue(entry, now, abandon_after_ms)) kind = EmittedKind::kAbandoned;
      break;
    case PosState::kIgnored:
      break;
  }
  entry.state = state;
  if (state != PosState::kHeld) entry.since = 0;
  if (kind) {
    entry.last = *kind;
    ++entry.revision;
  }
  return kind;
}

void AddMark(SourceCursor& cursor, const TrackerLimits& limits, UnixMillis now) {
  if (cursor.high_water.empty()) return;
  if (!cursor.marks.empty() && (cursor.marks.back().second == cursor.high_water ||
                                now - cursor.marks.back().first < limits.gap_timeout_ms / 10)) {
    return;
  }
  cursor.marks.emplace_back(now, cursor.high_water);
}

void TrimCursor(SourceCursor& cursor, const TrackerLimits& limits, UnixMillis now) {
  // Marks older than gap_timeout matter only as the newest such one.
  size_t old_marks = 0;
  while (old_marks + 1 < cursor.marks.size() &&
         now - cursor.marks[old_marks + 1].first >= limits.gap_timeout_ms) {
    ++old_marks;
  }
  cursor.marks.erase(cursor.marks.begin(), cursor.marks.begin() + static_cast<long>(old_marks));
  const size_t keep = static_cast<size_t>(std::max(limits.lookback_sales, 0));
  if (cursor.window.size() > keep) {
    size_t drop = cursor.window.size() - keep;
    if (!cursor.marks.empty()) {
      // Sales read after the oldest mark may still see a late commit land
      // below them: keep them, up to max_late_commit_window.
      for (size_t i = 0; i < cursor.window.size(); ++i) {
        if (cursor.window[i].id != cursor.marks.front().second) continue;
        const size_t protect_from = i;
        const size_t floor = cursor.window.size() > keep + limits.max_late_commit_window
                                 ? cursor.window.size() - keep - limits.max_late_commit_window
                                 : 0;
        drop = std::max(std::min(drop, protect_from), floor);
        break;
      }
    }
    for (size_t i = 0; i < drop; ++i) {
      if (cursor.window[i].state == PosState::kHeld) cursor.held.push_back(cursor.window[i]);
    }
    cursor.window.erase(cursor.window.begin(), cursor.window.begin() + static_cast<long>(drop));
  }
  std::erase_if(cursor.held, [&](const TrackedSale& sale) {
    return sale.state != PosState::kHeld || now - sale.since > limits.held_max_age_ms;
  });
  std::erase_if(cursor.gaps,
                [&](const auto& gap) { return now - gap.second > limits.gap_timeout_ms; });
  if (cursor.gaps.size() > limits.max_gaps) {
    cursor.gaps.erase(
        cursor.gaps.begin(),
        cursor.gaps.begin() + static_cast<long>(cursor.gaps.size() - limits.max_gaps));
  }
}

std::optional<std::int64_t> IntegerId(std::string_view id) { return ParseInt64(id); }

}  // namespace tillbridge::drivers
