#include "agent/runtime.h"

#include <filesystem>
#include <vector>

#include "agent/api/api_options.h"
#include "agent/api/api_server.h"
#include "agent/source_runner.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/phone.h"
#include "common/platform/files.h"
#include "common/time_zone.h"
#include "drivers/printer/printer_tap.h"
#include "drivers/printer/printer_tap_config.h"
#include "drivers/sql/sql_source.h"
#include "store/outbox.h"
#include "store/store.h"
#include "sync/sync_options.h"
#include "sync/sync_service.h"

namespace tillbridge::agent {

struct RuntimeParts {
  LoadedConfig config;
  std::unique_ptr<PhoneNormalizer> phones;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ApiServer> api;
  drivers::PrinterTap* printer_tap = nullptr;  // owned by its SourceRunner
  std::vector<std::unique_ptr<SourceRunner>> sources;
  std::unique_ptr<sync::SyncService> sync;
  std::vector<std::string> description;
  bool stopped = false;
};

std::string StorePath(const LoadedConfig& config) {
  return (std::filesystem::path(config.values.GetString("agent.data_dir")) / "tillbridge.db")
      .string();
}

Result<std::unique_ptr<store::Store>> OpenConfiguredStore(const LoadedConfig& config,
                                                          bool create_dir) {
  const std::filesystem::path dir(config.values.GetString("agent.data_dir"));
  std::error_code error;
  if (create_dir) {
    std::filesystem::create_directories(dir, error);
    if (error) {
      return Status::IoError("cannot create data folder " + dir.string() + ": " + error.message() +
                             " (set agent.data_dir to a writable folder)");
    }
  } else if (!std::filesystem::exists(dir / "tillbridge.db", error)) {
    return Status::NotFound("no store at " + (dir / "tillbridge.db").string() +
                            " (has `tillbridge run` started with this config yet?)");
  }
  // Folders and files made before this version (or by hand) may be open to
  // every local user; the store holds phone numbers and the consent ledger.
  for (const std::string& path :
       {dir.string(), StorePath(config), StorePath(config) + "-wal", StorePath(config) + "-shm"}) {
    if (!std::filesystem::exists(path, error)) continue;
    Status denied = platform::DenyOthers(path);
    if (!denied.ok()) LogWarning("agent", "cannot restrict " + path + ": " + denied.message());
  }
  store::StoreOptions options;
  options.path = StorePath(config);
  options.store_id = config.values.GetString("agent.store_id");
  options.terminal_id = config.values.GetString("agent.terminal_id");
  options.busy_timeout_ms =
      static_cast<int>(config.values.GetDuration("store.busy_timeout").count());
  // The report's attribution window is applied when sales are recorded
  // (store/attribution.h), so it lives in the store's options.
  options.attribution_window_days =
      static_cast<int>(config.values.GetInt("report.attribution_window_days"));
  return store::Store::Open(options);
}

Result<report::ReportSettings> ReportSettingsFor(const LoadedConfig& config) {
  auto settings = report::ReportSettingsFrom(config.values);
  if (!settings.ok() || !settings->follow_pos_time_zone) return settings;
  const std::string zone_name = config.values.GetString("pos.time_zone");
  auto zone = TimeZone::Load(zone_name, config.values.GetString("pos.zoneinfo_dir"));
  if (!zone.ok()) {
    return Status::InvalidArgument("key 'report.utc_offset' is pos, but pos.time_zone '" +
                                   zone_name + "' cannot be used: " + zone.status().message() +
                                   " (set report.utc_offset to an offset such as -05:00)");
  }
  settings->offset_at = [zone = *zone](UnixMillis utc) {
    return static_cast<std::int32_t>(zone.OffsetAt(utc / 1000) / 60);
  };
  return settings;
}

namespace {

Status StartApi(RuntimeParts& parts) {
  const ConfigValues& values = parts.config.values;
  if (!values.GetBool("api.enabled")) return Status::Ok();
  auto options = ApiOptionsFrom(values, values.GetString("agent.data_dir"));
  if (!options.ok()) return options.status();
  // The manager page's days; a zone that cannot be loaded costs the report
  // its local days, not the agent its start.
  auto report_settings = ReportSettingsFor(parts.config);
  if (report_settings.ok()) {
    options->report = *report_settings;
  } else {
    LogWarning("agent", report_settings.status().message() + "; the report uses UTC days");
  }
  auto api = ApiServer::Start(*options, *parts.store, *parts.phones);
  if (!api.ok()) return Status(api.status().code(), "local API: " + api.status().message());
  parts.api = std::move(api).value();
  parts.description.push_back("local API and cashier page " + parts.api->BaseUrl() +
                              " (cashier sign-in link: `tillbridge api-token --launch`)");
  parts.description.push_back("manager page " + parts.api->BaseUrl() +
                              "/manager (password: `tillbridge manager-password`)");
  return Status::Ok();
}

Status StartSources(RuntimeParts& parts) {
  const ConfigValues& values = parts.config.values;
  if (values.GetBool("pos.enabled")) {
    auto options = drivers::SqlSourceOptionsFrom(values, parts.config.base_dir);
    if (!options.ok()) return options.status();
    auto source = drivers::MakeSqlSource(*options, *parts.phones, parts.store->clock());
    if (!source.ok()) return Status(source.status().code(), "pos: " + source.status().message());
    parts.description.push_back("source '" + options->name + "': POS database, profile " +
                                options->profile + ", polling every " +
                                std::to_string(options->poll_interval.count()) + " ms");
    parts.sources.push_back(
        std::make_unique<SourceRunner>(std::move(source).value(), *parts.store));
  }
  if (values.GetBool("printer.enabled")) {
    auto options = drivers::PrinterTapOptionsFrom(values);
    if (!options.ok()) return options.status();
    auto tap = drivers::PrinterTap::Create(*options, *parts.phones, parts.store->clock());
    if (!tap.ok()) return Status(tap.status().code(), "printer: " + tap.status().message());
    drivers::PrinterTap* raw = tap->get();
    TB_RETURN_IF_ERROR(raw->Start());
    parts.printer_tap = raw;
    parts.description.push_back("source '" + std::string(raw->Name()) + "': receipt printer tap (" +
                                values.GetString("printer.mode") + ")");
    parts.sources.push_back(std::make_unique<SourceRunner>(std::move(tap).value(), *parts.store));
  }
  for (auto& runner : parts.sources) runner->Start();
  if (parts.sources.empty()) {
    parts.description.push_back(
        "no POS source enabled (pos.enabled, printer.enabled); transactions arrive only "
        "through the local API");
  }
  return Status::Ok();
}

Status StartSync(RuntimeParts& parts) {
  auto options = sync::SyncOptionsFrom(parts.config.values);
  if (!options.ok()) return options.status();
  if (!options->cloud.enabled && !options->webhook.enabled) {
    parts.description.push_back("cloud sync disabled (cloud.enabled, webhook.enabled)");
    return Status::Ok();
  }
  parts.sync = std::make_unique<sync::SyncService>(*parts.store, *options);
  Status started = parts.sync->Start();
  if (!started.ok()) return Status(started.code(), "sync: " + started.message());
  if (options->cloud.enabled) {
    parts.description.push_back("cloud sync with " + options->cloud.endpoint.url);
  }
  if (options->webhook.enabled) {
    parts.description.push_back("webhook sink " + options->webhook.endpoint.url);
  }
  return Status::Ok();
}

void StopParts(RuntimeParts& parts) {
  if (parts.stopped) return;
  parts.stopped = true;
  // Newest first: sync, then sources (the tap stops forwarding and spools
  // what it decoded before its runner stops), then the API.
  if (parts.sync) parts.sync->Stop();
  if (parts.printer_tap) parts.printer_tap->Stop();
  for (auto it = parts.sources.rbegin(); it != parts.sources.rend(); ++it) (*it)->Stop();
  if (parts.api) parts.api->Stop();
  MetricsRegistry::Global().SetCallback("tillbridge_outbox_depth",
                                        "Events waiting for the cloud to acknowledge them",
                                        [] { return std::int64_t{0}; });
}

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::Start(const LoadedConfig& config) {
  auto parts = std::make_unique<RuntimeParts>();
  parts->config = config;
  parts->phones =
      std::make_unique<PhoneNormalizer>(config.values.GetString("agent.default_region"));
  auto opened = OpenConfiguredStore(config, /*create_dir=*/true);
  if (!opened.ok()) return opened.status();
  parts->store = std::move(opened).value();
  parts->description.push_back("store " + StorePath(config) + " (agent " +
                               parts->store->agent_id() + ", store " + parts->store->store_id() +
                               ", terminal " + parts->store->terminal_id() + ")");
  store::Store* store = parts->store.get();
  MetricsRegistry::Global().SetCallback(
      "tillbridge_outbox_depth", "Events waiting for the cloud to acknowledge them",
      [store] { return store->outbox().Depth().ok() ? *store->outbox().Depth() : -1; });

  Status started = StartApi(*parts);
  if (started.ok()) started = StartSources(*parts);
  if (started.ok()) started = StartSync(*parts);
  if (!started.ok()) {
    StopParts(*parts);
    return started;
  }
  return std::unique_ptr<Runtime>(new Runtime(std::move(parts)));
}

Runtime::Runtime(std::unique_ptr<RuntimeParts> parts) : parts_(std::move(parts)) {}

Runtime::~Runtime() { Stop(); }

void Runtime::Stop() {
  if (!parts_) return;
  StopParts(*parts_);
}

store::Store& Runtime::store() { return *parts_->store; }

std::string Runtime::Describe() const {
  std::string out;
  for (const auto& line : parts_->description) out += "  " + line + "\n";
  return out;
}

}  // namespace tillbridge::agent
