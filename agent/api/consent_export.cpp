#include "agent/api/consent_export.h"

#include <map>
#include <string>
#include <vector>

#include "store/consent_ledger.h"
#include "store/disclosures.h"

namespace tillbridge::agent {
namespace {

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"')
      out += "\"\"";
    else
      out.push_back(c);
  }
  out += "\"";
  return out;
}

void WriteRow(std::ostream& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << ',';
    out << CsvField(fields[i]);
  }
  out << "\r\n";
}

}  // namespace

Status WriteConsentsCsv(store::Store& store, std::ostream& out) {
  auto disclosures = store.disclosures().All();
  if (!disclosures.ok()) return disclosures.status();
  std::map<std::string, store::Disclosure> by_hash;
  for (const auto& disclosure : *disclosures) by_hash[disclosure.hash] = disclosure;

  WriteRow(out,
           {"seq", "recorded_at", "occurred_at", "phone", "purpose", "state", "previous_state",
            "method", "actor", "store_id", "terminal_id", "detail", "disclosure_version",
            "disclosure_hash", "disclosure_frequency", "disclosure_text", "prev_hash", "row_hash"});
  Status status = store.consents().ForEach([&](const store::LedgerRow& row) {
    const auto found = by_hash.find(row.disclosure_hash);
    const bool known = found != by_hash.end();
    WriteRow(out, {std::to_string(row.seq), FormatRfc3339(row.recorded_at),
                   FormatRfc3339(row.occurred_at), row.phone, row.purpose, row.state,
                   row.previous_state, row.method, row.actor, row.store_id, row.terminal_id,
                   row.detail, known ? found->second.version : "", row.disclosure_hash,
                   known ? found->second.frequency : "", known ? found->second.text : "",
                   row.prev_hash, row.row_hash});
  });
  TB_RETURN_IF_ERROR(status);
  out.flush();
  if (!out) return Status::IoError("writing the consent CSV failed");
  return Status::Ok();
}

int VerifyConsentChain(store::Store& store, std::ostream& out) {
  auto report = store.consents().Verify();
  if (!report.ok()) {
    if (report.status().code() == StatusCode::kCorruption) {
      out << "consent ledger BROKEN: " << report.status().message() << "\n";
      return 1;
    }
    out << "consent ledger could not be checked: " << report.status().ToString() << "\n";
    return 2;
  }
  if (report->first_bad_seq) {
    out << "consent ledger BROKEN at row " << *report->first_bad_seq << ": " << report->reason
        << " (" << report->rows_checked << " rows read)\n";
    return 1;
  }
  out << "consent ledger intact: " << report->rows_checked << " rows, hash chain verified\n";
  return 0;
}

}  // namespace tillbridge::agent
