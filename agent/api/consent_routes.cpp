// POST /v1/consents, GET /v1/consents/{phone}, GET /v1/consents/{phone}/history.
// The consent rules themselves live in store::ConsentLedger; these routes
// only check input, find the disclosure shown, and report the outcome.
#include <map>

#include "agent/api/json.h"
#include "agent/api/request_bodies.h"
#include "agent/api/route_context.h"
#include "store/consent_ledger.h"
#include "store/disclosures.h"

namespace tillbridge::agent {
namespace {

void WriteRecord(JsonWriter& json, const store::ConsentRecord& record) {
  const bool known = record.state != store::ConsentState::kNone;
  json.BeginObject();
  json.Key("state").String(store::ConsentStateName(record.state));
  json.Key("may_text").Bool(record.state == store::ConsentState::kOptedIn);
  json.Key("method").OptionalString(known ? std::optional<std::string>(record.method)
                                          : std::nullopt);
  json.Key("actor").OptionalString(known ? std::optional<std::string>(record.actor) : std::nullopt);
  json.Key("changed_at")
      .OptionalString(known ? std::optional<std::string>(FormatRfc3339(record.changed_at))
                            : std::nullopt);
  json.Key("ledger_seq")
      .OptionalInt(known ? std::optional<std::int64_t>(record.ledger_seq) : std::nullopt);
  json.EndObject();
}

// The installed disclosure for (purpose, version), or an error naming what
// is installed.
std::optional<ApiError> FindDisclosure(ApiContext& context, store::ConsentPurpose purpose,
                                       const std::string& version, store::Disclosure* out,
                                       Status* store_error) {
  auto all = context.store.disclosures().All();
  if (!all.ok()) {
    *store_error = all.status();
    return std::nullopt;
  }
  std::string current;
  for (const auto& disclosure : *all) {
    if (disclosure.purpose != purpose) continue;
    current = disclosure.version;
    if (disclosure.version == version) {
      *out = disclosure;
      return std::nullopt;
    }
  }
  const std::string purpose_name(store::ConsentPurposeName(purpose));
  return ApiError{422, "disclosure_version",
                  "no " + purpose_name + " disclosure version '" + version + "' is installed" +
                      (current.empty() ? std::string(" (none is installed)")
                                       : "; the current one is '" + current + "'")};
}

}  // namespace

HttpResponse PostConsent(ApiContext& context, const RouteCall& call) {
  ConsentRequest request;
  if (auto error = ParseConsentRequest(call.request.body, &request)) return ErrorResponse(*error);
  std::string phone;
  if (auto error = NormalizePhone(context, request.phone, "phone", &phone)) {
    return ErrorResponse(*error);
  }
  const UnixMillis now = context.clock.NowMillis();
  const UnixMillis occurred_at = request.occurred_at.value_or(now);
  if (occurred_at > now + context.options.max_clock_skew.count()) {
    return ErrorResponse(
        422, "occurred_at",
        "is in the future (" + FormatRfc3339(occurred_at) + "); check the POS clock");
  }
  std::optional<store::Disclosure> disclosure;
  if (request.disclosure_version) {
    store::Disclosure found;
    Status store_error;
    auto error =
        FindDisclosure(context, request.purpose, *request.disclosure_version, &found, &store_error);
    if (!store_error.ok()) return StoreFailure(store_error, "reading disclosures");
    if (error) return ErrorResponse(*error);
    disclosure = found;
  }

  store::ConsentChange change;
  change.phone = phone;
  change.purpose = request.purpose;
  change.granted = request.granted;
  change.method = request.method;
  change.actor = request.cashier_id;
  change.occurred_at = occurred_at;
  change.disclosure_hash = disclosure ? disclosure->hash : "";
  change.detail = request.detail;
  change.requires_confirmation = request.granted && context.options.double_opt_in;
  change.is_explicit = true;
  change.queue_event = true;
  auto outcome = context.store.consents().Record(change);
  if (!outcome.ok()) {
    if (outcome.status().code() == StatusCode::kInvalidArgument) {
      return ErrorResponse(422, std::nullopt, outcome.status().message());
    }
    return StoreFailure(outcome.status(), "recording consent");
  }

  const store::ConsentRecord& record = outcome->record;
  JsonWriter json;
  json.BeginObject();
  json.Key("phone").String(phone);
  json.Key("purpose").String(store::ConsentPurposeName(record.purpose));
  json.Key("state").String(store::ConsentStateName(record.state));
  json.Key("may_text").Bool(record.state == store::ConsentState::kOptedIn);
  json.Key("awaiting_confirmation").Bool(record.state == store::ConsentState::kPending);
  json.Key("changed").Bool(outcome->changed);
  json.Key("note").OptionalString(
      outcome->note.empty() ? std::nullopt : std::optional<std::string>(outcome->note));
  json.Key("method").String(record.method);
  json.Key("actor").String(record.actor);
  json.Key("changed_at").String(FormatRfc3339(record.changed_at));
  json.Key("ledger_seq").Int(record.ledger_seq);
  json.Key("disclosure");
  if (disclosure) {
    json.BeginObject().Key("version").String(disclosure->version);
    json.Key("hash").String(disclosure->hash).EndObject();
  } else {
    json.Null();
  }
  json.EndObject();
  return JsonResponse(outcome->changed ? 201 : 200, json.Take());
}

HttpResponse GetConsent(ApiContext& context, const RouteCall& call) {
  std::string phone;
  if (auto error = NormalizePhone(context, call.params.at(0), "phone", &phone)) {
    return ErrorResponse(*error);
  }
  auto current = context.store.consents().Current(phone);
  if (!current.ok()) return StoreFailure(current.status(), "reading consent");
  JsonWriter json;
  json.BeginObject().Key("phone").String(phone).Key("consents").BeginObject();
  for (const auto& record : *current) {
    json.Key(store::ConsentPurposeName(record.purpose));
    WriteRecord(json, record);
  }
  json.EndObject().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse GetConsentHistory(ApiContext& context, const RouteCall& call) {
  std::string phone;
  if (auto error = NormalizePhone(context, call.params.at(0), "phone", &phone)) {
    return ErrorResponse(*error);
  }
  auto rows = context.store.consents().History(phone);
  if (!rows.ok()) return StoreFailure(rows.status(), "reading consent history");
  auto disclosures = context.store.disclosures().All();
  if (!disclosures.ok()) return StoreFailure(disclosures.status(), "reading disclosures");
  std::map<std::string, const store::Disclosure*> by_hash;
  for (const auto& disclosure : *disclosures) by_hash[disclosure.hash] = &disclosure;

  JsonWriter json;
  json.BeginObject().Key("phone").String(phone).Key("entries").BeginArray();
  for (const auto& row : *rows) {
    json.BeginObject();
    json.Key("seq").Int(row.seq);
    json.Key("purpose").String(row.purpose);
    json.Key("state").String(row.state);
    json.Key("previous_state").String(row.previous_state);
    json.Key("method").String(row.method);
    json.Key("actor").String(row.actor);
    json.Key("store_id").String(row.store_id);
    json.Key("terminal_id").String(row.terminal_id);
    json.Key("occurred_at").String(FormatRfc3339(row.occurred_at));
    json.Key("recorded_at").String(FormatRfc3339(row.recorded_at));
    json.Key("detail").String(row.detail);
    json.Key("disclosure");
    auto found = by_hash.find(row.disclosure_hash);
    if (row.disclosure_hash.empty()) {
      json.Null();
    } else {
      json.BeginObject().Key("hash").String(row.disclosure_hash);
      json.Key("version").OptionalString(found == by_hash.end()
                                             ? std::nullopt
                                             : std::optional<std::string>(found->second->version));
      json.EndObject();
    }
    json.Key("row_hash").String(row.row_hash);
    json.EndObject();
  }
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace tillbridge::agent
