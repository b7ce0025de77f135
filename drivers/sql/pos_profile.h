// A POS profile: how one POS's schema maps to store::Transaction. Profiles are
// data: the built-in ones are the files in drivers/sql/profiles/ (compiled
// in), and a user can point pos.profile at a file of their own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "drivers/sql/sql_source.h"

namespace tillbridge::drivers {

// What a POS sale row currently is, after the profile's state mapping.
enum class PosState : char {
  kCompleted = 'C',
  kRefunded = 'R',
  kVoided = 'V',
  kHeld = 'H',
  kIgnored = 'I',  // not a sale we report (quote, open ticket, ...)
};

// Parses the canonical state words and their aliases ("completed", "sale",
// "refunded", "voided", "cancelled", "held", "suspended", "ignore", ...).
std::optional<PosState> ParseCanonicalState(std::string_view word);

enum class AmountUnit { kMajor, kMinor };  // 12.50 vs 1250
enum class TimeBasis { kLocal, kUtc };     // POS stores local wall time or UTC

// One of the profile's queries plus which of its columns holds each field.
struct ProfileQuery {
  std::string sql;
  std::map<std::string, std::string> columns;  // field -> column; only mapped fields
  int line = 0;                                // where `query` starts, for messages

  bool Has(const std::string& field) const { return columns.count(field) > 0; }
  const std::string& Column(const std::string& field) const { return columns.at(field); }
};

struct PosProfile {
  std::string name;
  std::string description;
  std::string origin;  // "built-in profile 'ospos'" or the file path
  std::optional<SqlConnector> connector;
  AmountUnit amounts = AmountUnit::kMajor;
  TimeBasis times = TimeBasis::kLocal;
  // [profile] prices: whether line prices include tax (gross) or tax is
  // added on top (net). Decides which of total / subtotal is computed.
  bool prices_include_tax = false;
  // [profile] tip_in_total: whether the POS's total includes the tip; the
  // agent reports totals without it.
  bool tip_in_total = false;
  // [sales] id_type: integer ids are bound as integers and take part in gap
  // detection; text ids are compared as the database orders them.
  bool integer_ids = true;
  // [sales] cursor_type: how the cursor column's values are bound (integer,
  // or text for timestamps, UUID-free sequences and anything else).
  bool integer_cursor = false;
  // Tables and columns that must exist (checked by doctor), in file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> requires_columns;
  ProfileQuery sales;
  ProfileQuery lines;
  ProfileQuery payments;
  ProfileQuery coupons;  // sql empty: the POS records no coupons
  // Held baskets kept in a table of their own (sql empty: held sales are
  // rows of the sales query with state `held`).
  ProfileQuery held;
  // Raw state value (lower-cased, trimmed) -> state. Empty: the sales query
  // returns canonical state words.
  std::map<std::string, PosState> state_values;

  // Maps a raw state value read from the POS; nullopt for an unknown value.
  std::optional<PosState> MapState(std::string_view raw) const;
  // New sales are found by a cursor column (a timestamp or any growing
  // value) plus the id, instead of by an increasing id.
  bool HasCursorColumn() const { return sales.Has("cursor"); }
};

// The fields each query may map, required ones first. Used by the parser,
// the source and `doctor`.
struct ProfileFields {
  std::vector<std::string> required;
  std::vector<std::string> optional;
};
const ProfileFields& SalesFields();
const ProfileFields& LineFields();
const ProfileFields& PaymentFields();
const ProfileFields& CouponFields();
const ProfileFields& HeldFields();

// Parses profile text. Every error names `origin`, the line and the key.
Result<PosProfile> ParsePosProfile(std::string_view text, std::string_view origin);

// Resolves pos.profile: a built-in name (ospos, demo, generic) or a file path
// (relative paths against `base_dir`). Then applies the query overrides in
// `options` and checks the result is complete (a template such as `generic`
// fails with a message saying which queries to fill in).
Result<PosProfile> LoadPosProfile(const SqlSourceOptions& options);

}  // namespace tillbridge::drivers
