// Writes the ROI fixture (tests/store/roi_fixture.h) to a new store file so
// shell and browser tests can report on it:
//   roi_fixture_tool <data-dir>/tillbridge.db
#include <iostream>

#include "store/store.h"
#include "tests/store/roi_fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: roi_fixture_tool <data-dir>/tillbridge.db\n";
    return 2;
  }
  tillbridge::store::StoreOptions options;
  options.path = argv[1];
  options.store_id = "store-1";
  auto store = tillbridge::store::Store::Open(options);
  if (!store.ok()) {
    std::cerr << "roi_fixture_tool: " << store.status().ToString() << "\n";
    return 1;
  }
  const tillbridge::Status filled = tillbridge::store::testing::FillRoiFixture(**store);
  if (!filled.ok()) {
    std::cerr << "roi_fixture_tool: " << filled.ToString() << "\n";
    return 1;
  }
  return 0;
}
