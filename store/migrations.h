// Schema migrations keyed on PRAGMA user_version. Internal to store/.
#pragma once

#include "common/status.h"
#include "store/sqlite_db.h"

namespace tillbridge::store {

// The schema version this build writes.
int LatestSchemaVersion();

// Migrates `db` from its current user_version up to `target` (default: the
// latest), one SQLite transaction per step. A database newer than this build
// is refused with FailedPrecondition.
Status Migrate(Database& db, int target = -1);

}  // namespace tillbridge::store
