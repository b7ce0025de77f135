// GET /v1/disclosures/current, GET /v1/disclosures, POST /v1/disclosures.
#include "agent/api/json.h"
#include "agent/api/request_bodies.h"
#include "agent/api/route_context.h"
#include "store/disclosures.h"

namespace tillbridge::agent {
namespace {

void WriteDisclosure(JsonWriter& json, const store::Disclosure& disclosure) {
  json.BeginObject();
  json.Key("purpose").String(store::ConsentPurposeName(disclosure.purpose));
  json.Key("version").String(disclosure.version);
  json.Key("hash").String(disclosure.hash);
  json.Key("text").String(disclosure.text);
  json.Key("frequency").String(disclosure.frequency);
  json.Key("installed_at").String(FormatRfc3339(disclosure.installed_at));
  json.EndObject();
}

}  // namespace

HttpResponse GetCurrentDisclosures(ApiContext& context, const RouteCall&) {
  JsonWriter json;
  json.BeginObject();
  for (auto purpose : {store::ConsentPurpose::kTransactional, store::ConsentPurpose::kMarketing}) {
    auto current = context.store.disclosures().Current(purpose);
    if (!current.ok()) return StoreFailure(current.status(), "reading disclosures");
    json.Key(store::ConsentPurposeName(purpose));
    if (*current) {
      WriteDisclosure(json, **current);
    } else {
      json.Null();
    }
  }
  json.EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse GetDisclosures(ApiContext& context, const RouteCall&) {
  auto all = context.store.disclosures().All();
  if (!all.ok()) return StoreFailure(all.status(), "reading disclosures");
  JsonWriter json;
  json.BeginObject().Key("disclosures").BeginArray();
  for (const auto& disclosure : *all) WriteDisclosure(json, disclosure);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse PostDisclosure(ApiContext& context, const RouteCall& call) {
  DisclosureRequest request;
  if (auto error = ParseDisclosureRequest(call.request.body, &request))
    return ErrorResponse(*error);
  auto before = context.store.disclosures().All();
  if (!before.ok()) return StoreFailure(before.status(), "reading disclosures");
  bool existed = false;
  for (const auto& disclosure : *before) {
    existed =
        existed || (disclosure.purpose == request.purpose && disclosure.version == request.version);
  }
  auto installed = context.store.disclosures().Install(request.purpose, request.version,
                                                       request.text, request.frequency);
  if (!installed.ok()) {
    if (installed.status().code() == StatusCode::kAlreadyExists) {
      return ErrorResponse(409, "version", installed.status().message());
    }
    if (installed.status().code() == StatusCode::kInvalidArgument) {
      return ErrorResponse(422, std::nullopt, installed.status().message());
    }
    return StoreFailure(installed.status(), "installing a disclosure");
  }
  JsonWriter json;
  WriteDisclosure(json, *installed);
  return JsonResponse(existed ? 200 : 201, json.Take());
}

}  // namespace tillbridge::agent
