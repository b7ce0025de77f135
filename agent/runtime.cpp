#include "agent/runtime.h"

#include <filesystem>
#include <vector>

#include "agent/source_runner.h"
#include "common/log.h"
#include "common/phone.h"
#include "store/store.h"

namespace tillbridge::agent {

struct RuntimeParts {
  LoadedConfig config;
  std::unique_ptr<PhoneNormalizer> phones;
  std::unique_ptr<store::Store> store;
  std::vector<std::unique_ptr<SourceRunner>> sources;
  std::vector<std::string> description;
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
      return Status::IoError("cannot create data folder " + dir.string() + ": " +
                             error.message() + " (set agent.data_dir to a writable folder)");
    }
  } else if (!std::filesystem::exists(dir / "tillbridge.db", error)) {
    return Status::NotFound("no store at " + (dir / "tillbridge.db").string() +
                            " (has `tillbridge run` started with this config yet?)");
  }
  store::StoreOptions options;
  options.path = StorePath(config);
  options.store_id = config.values.GetString("agent.store_id");
  options.terminal_id = config.values.GetString("agent.terminal_id");
  options.busy_timeout_ms = static_cast<int>(config.values.GetDuration("store.busy_timeout").count());
  return store::Store::Open(options);
}

Result<std::unique_ptr<Runtime>> Runtime::Start(const LoadedConfig& config) {
  auto parts = std::make_unique<RuntimeParts>();
  parts->config = config;
  parts->phones =
      std::make_unique<PhoneNormalizer>(config.values.GetString("agent.default_region"));
  auto opened = OpenConfiguredStore(config, /*create_dir=*/true);
  if (!opened.ok()) return opened.status();
  parts->store = std::move(opened).value();
  parts->description.push_back("store " + StorePath(config) + " (agent " +
                               parts->store->agent_id() + ", store " +
                               parts->store->store_id() + ", terminal " +
                               parts->store->terminal_id() + ")");
  for (auto& runner : parts->sources) runner->Start();
  return std::unique_ptr<Runtime>(new Runtime(std::move(parts)));
}

Runtime::Runtime(std::unique_ptr<RuntimeParts> parts) : parts_(std::move(parts)) {}

Runtime::~Runtime() { Stop(); }

void Runtime::Stop() {
  if (!parts_) return;
  for (auto it = parts_->sources.rbegin(); it != parts_->sources.rend(); ++it) (*it)->Stop();
}

store::Store& Runtime::store() { return *parts_->store; }

std::string Runtime::Describe() const {
  std::string out;
  for (const auto& line : parts_->description) out += "  " + line + "\n";
  return out;
}

}  // namespace tillbridge::agent
