// Reachability checks for `tillbridge doctor`.
#pragma once

#include "common/status.h"
#include "sync/sync_options.h"

namespace tillbridge::sync {

// GET {cloud.url}/v1/health with the bearer token, honouring the TLS, CA,
// proxy and timeout options. Ok when the cloud answers 200;
// FailedPrecondition when cloud.enabled is false; PermissionDenied when the
// token is refused; Unavailable (with the reason: refused, timed out, TLS
// certificate not trusted, unexpected status) otherwise.
Status CheckCloudReachable(const SyncOptions& options);

}  // namespace tillbridge::sync
