#include "store/disclosures.h"

#include "common/card_numbers.h"
#include "common/digest.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

constexpr const char* kColumns = "hash, version, purpose, text, frequency, installed_at";

Disclosure ReadDisclosure(const Statement& s) {
  Disclosure d;
  d.hash = s.Text(0);
  d.version = s.Text(1);
  d.purpose = ParseConsentPurpose(s.Text(2)).value_or(ConsentPurpose::kMarketing);
  d.text = s.Text(3);
  d.frequency = s.Text(4);
  d.installed_at = s.Int(5);
  return d;
}

Result<std::vector<Disclosure>> Query(Database& db, const std::string& where,
                                      const std::string& arg) {
  auto select = db.Prepare(std::string("SELECT ") + kColumns + " FROM disclosures " + where);
  if (!select.ok()) return select.status();
  if (!arg.empty()) select->Bind(1, arg);
  std::vector<Disclosure> out;
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadDisclosure(*select));
  }
  return out;
}

}  // namespace

Result<Disclosure> Disclosures::Install(ConsentPurpose purpose, const std::string& version,
                                        const std::string& text, const std::string& frequency) {
  if (version.empty()) return Status::InvalidArgument("disclosure version is empty");
  if (text.empty()) return Status::InvalidArgument("disclosure text is empty");
  Disclosure d;
  d.purpose = purpose;
  d.version = MaskCardNumbers(version);
  d.text = MaskCardNumbers(text);
  d.frequency = MaskCardNumbers(frequency);
  d.hash = Sha256Hex(std::string(ConsentPurposeName(purpose)) + '\x1f' + d.version + '\x1f' +
                     d.frequency + '\x1f' + d.text);
  std::lock_guard lock(core_.mutex);
  auto same = core_.db->Prepare(
      "SELECT hash, installed_at FROM disclosures WHERE purpose = ?1 AND version = ?2");
  if (!same.ok()) return same.status();
  same->Bind(1, ConsentPurposeName(purpose)).Bind(2, d.version);
  auto row = same->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    if (same->Text(0) != d.hash) {
      return Status::AlreadyExists("disclosure version '" + d.version + "' for " +
                                   std::string(ConsentPurposeName(purpose)) +
                                   " already exists with different text; use a new version");
    }
    d.installed_at = same->Int(1);
    return d;
  }
  d.installed_at = core_.Now();
  auto insert = core_.db->Prepare(std::string("INSERT INTO disclosures (") + kColumns +
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, d.hash)
      .Bind(2, d.version)
      .Bind(3, ConsentPurposeName(purpose))
      .Bind(4, d.text)
      .Bind(5, d.frequency)
      .Bind(6, d.installed_at);
  TB_RETURN_IF_ERROR(insert->Run());
  return d;
}

Result<std::optional<Disclosure>> Disclosures::Current(ConsentPurpose purpose) {
  std::lock_guard lock(core_.mutex);
  auto rows = Query(*core_.db, "WHERE purpose = ?1 ORDER BY installed_at DESC, rowid DESC LIMIT 1",
                    std::string(ConsentPurposeName(purpose)));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Disclosure>();
  return std::optional<Disclosure>(rows->front());
}

Result<std::optional<Disclosure>> Disclosures::ByHash(const std::string& hash) {
  std::lock_guard lock(core_.mutex);
  auto rows = Query(*core_.db, "WHERE hash = ?1", hash);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Disclosure>();
  return std::optional<Disclosure>(rows->front());
}

Result<std::vector<Disclosure>> Disclosures::All() {
  std::lock_guard lock(core_.mutex);
  return Query(*core_.db, "ORDER BY installed_at, rowid", "");
}

}  // namespace tillbridge::store
