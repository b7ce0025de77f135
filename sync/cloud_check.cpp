#include "sync/cloud_check.h"

#include "common/clock.h"
#include "sync/cloud_client.h"

namespace tillbridge::sync {

Status CheckCloudReachable(const SyncOptions& options) {
  if (!options.cloud.enabled) return Status::FailedPrecondition("cloud.enabled is false");
  AgentInfo agent;
  // doctor may run without the store; the health check needs no identity.
  agent.agent_id = "doctor";
  agent.agent_version = options.agent_version;
  auto client = CloudClient::Create(options.cloud, agent, SystemClock::Instance());
  if (!client.ok()) return client.status();
  return (*client)->Health();
}

}  // namespace tillbridge::sync
