// Fuzzes what the agent reads from the cloud (sync/sync_api.h): push
// results, registration answers, error documents and change-feed pages. The
// first byte picks the reader. A page that parses is also applied to a real
// store, which must accept it (bad entries are skipped, never fatal) and
// keep its consent hash chain intact.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "store/cloud_changes.h"
#include "store/consent_ledger.h"
#include "store/store.h"
#include "sync/sync_api.h"

namespace {

using namespace tillbridge;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "sync_answers_fuzz: %s\n", what.c_str());
  std::abort();
}

// One store for the whole run, in a temporary folder removed at exit (in
// memory-backed /dev/shm where there is one: every page commits with fsync).
// One object owns both, so the store is closed before its folder goes and
// nothing is used after its destructor ran.
class SharedStoreHolder {
 public:
  SharedStoreHolder() {
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    dir_ = base / ("tb-sync-fuzz-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    store::StoreOptions options;
    options.path = (dir_ / "agent.db").string();
    options.store_id = "store-1";
    options.terminal_id = "lane-1";
    auto opened = store::Store::Open(options);
    if (!opened.ok()) Fail("cannot open the store: " + opened.status().ToString());
    store_ = std::move(opened).value();
  }
  ~SharedStoreHolder() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  SharedStoreHolder(const SharedStoreHolder&) = delete;
  SharedStoreHolder& operator=(const SharedStoreHolder&) = delete;
  store::Store& store() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

store::Store& SharedStore() {
  static SharedStoreHolder holder;
  return holder.store();
}

void CheckPage(std::string_view body) {
  auto page = sync::ParseChangesPage(body);
  if (!page.ok()) {
    if (page.status().code() != StatusCode::kInvalidArgument) {
      Fail("a bad page must be InvalidArgument: " + page.status().ToString());
    }
    return;
  }
  if (page->next_cursor.empty()) Fail("a parsed page has an empty cursor");
  store::Store& store = SharedStore();
  auto applied = store.cloud_changes().ApplyPage(page->changes, page->next_cursor);
  if (!applied.ok()) Fail("a parsed page did not apply: " + applied.status().ToString());
  const auto counted = applied->applied + applied->unchanged + applied->skipped;
  if (counted != static_cast<std::int64_t>(page->changes.size())) {
    Fail("apply report does not account for every change");
  }
  auto cursor = store.cloud_changes().Cursor();
  if (!cursor.ok() || !cursor->has_value() || **cursor != page->next_cursor) {
    Fail("the page's cursor was not stored with it");
  }
  auto chain = store.consents().Verify();
  if (!chain.ok() || chain->first_bad_seq.has_value()) Fail("the consent chain broke");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto results = sync::ParsePushResponse(body);
      if (results.ok()) {
        for (const auto& result : *results) {
          if (result.event_id.empty()) Fail("a push result without an event id");
          if (result.status == sync::EventStatus::kRejected && result.reason.empty()) {
            Fail("a rejection without a reason");
          }
        }
      }
      break;
    }
    case 1: {
      auto limits = sync::ParseRegistrationResponse(body);
      (void)limits;
      break;
    }
    case 2: {
      auto error = sync::ParseApiError(body);
      (void)error;
      break;
    }
    default:
      CheckPage(body);
      break;
  }
  return 0;
}
