// Disclosure texts shown to customers before they opt in, kept forever by
// hash so a ledger row proves exactly which words the customer saw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/model.h"

namespace tillbridge::store {

struct StoreCore;

struct Disclosure {
  std::string hash;  // SHA-256 of purpose, version, frequency and text
  std::string version;
  ConsentPurpose purpose = ConsentPurpose::kMarketing;
  std::string text;
  std::string frequency;  // "Up to 4 msgs/month"
  UnixMillis installed_at = 0;
};

// Thread-safe (serialized through the store).
class Disclosures {
 public:
  explicit Disclosures(StoreCore& core) : core_(core) {}

  // Installs a new version. The same (purpose, version) with identical
  // content is accepted again; with different content it is AlreadyExists.
  // Card numbers in version, text and frequency are masked before hashing.
  Result<Disclosure> Install(ConsentPurpose purpose, const std::string& version,
                             const std::string& text, const std::string& frequency);
  // The most recently installed version for `purpose`, or nullopt.
  Result<std::optional<Disclosure>> Current(ConsentPurpose purpose);
  Result<std::optional<Disclosure>> ByHash(const std::string& hash);
  Result<std::vector<Disclosure>> All();

 private:
  StoreCore& core_;
};

}  // namespace tillbridge::store
