#include "common/phone.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cctype>
#include <set>

namespace tillbridge {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::string ValidationReason(PhoneNumberUtil::ValidationResult result, const std::string& region) {
  switch (result) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "unknown country calling code";
    case PhoneNumberUtil::TOO_SHORT:
      return "too short for region " + region;
    case PhoneNumberUtil::TOO_LONG:
      return "too long for region " + region;
    case PhoneNumberUtil::INVALID_LENGTH:
      return "wrong number of digits for region " + region;
    default:
      return "not a valid phone number for region " + region;
  }
}

}  // namespace

PhoneNormalizer::PhoneNormalizer(std::string default_region)
    : default_region_(std::move(default_region)) {}

PhoneNormalizer::~PhoneNormalizer() = default;

bool PhoneNormalizer::IsKnownRegion(std::string_view region) {
  std::set<std::string> regions;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
  return regions.count(std::string(region)) > 0;
}

Result<std::string> PhoneNormalizer::Normalize(std::string_view input) const {
  if (input.empty()) return Status::InvalidArgument("phone number is empty");
  if (input.size() > 40) return Status::InvalidArgument("phone number is too long");
  size_t digits = 0;
  for (char c : input) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("phone number contains letters");
    } else if (std::string_view("+-(). /").find(c) == std::string_view::npos) {
      return Status::InvalidArgument("phone number contains an unexpected character");
    }
  }
  if (digits == 0) return Status::InvalidArgument("phone number has no digits");
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  const auto parsed = util.Parse(std::string(input), default_region_, &number);
  if (parsed != PhoneNumberUtil::NO_PARSING_ERROR) {
    switch (parsed) {
      case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return Status::InvalidArgument("no country code and no usable default region");
      case PhoneNumberUtil::TOO_SHORT_NSN:
      case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
        return Status::InvalidArgument("too short to be a phone number");
      case PhoneNumberUtil::TOO_LONG_NSN:
        return Status::InvalidArgument("too long to be a phone number");
      default:
        return Status::InvalidArgument("not a phone number");
    }
  }
  const auto possible = util.IsPossibleNumberWithReason(number);
  if (possible != PhoneNumberUtil::IS_POSSIBLE) {
    return Status::InvalidArgument(ValidationReason(possible, default_region_));
  }
  if (!util.IsValidNumber(number)) {
    return Status::InvalidArgument("not a valid phone number for region " + default_region_);
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

std::string MaskPhone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  if (digits.size() < 7) return std::string(digits.size(), '*');
  std::string out = "+";
  out.push_back(digits[0]);
  out.append(digits.size() - 5, '*');
  out.append(digits, digits.size() - 4, 4);
  return out;
}

std::string MaskPhonesInText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto word_char = [&](size_t at) {
    const unsigned char x = static_cast<unsigned char>(text[at]);
    return std::isalnum(x) || x == '_';
  };
  // Copies the identifier (agent id, hash, event id) that starts at `from`.
  const auto copy_word = [&](size_t from) {
    size_t end = from;
    while (end < text.size() && word_char(end)) ++end;
    out.append(text.substr(from, end - from));
    return end;
  };
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isdigit(c) && i > 0 && word_char(i - 1)) {
      // Digits inside a word are part of an id, not a phone number.
      i = copy_word(i);
      continue;
    }
    if (std::isdigit(c) || (c == '+' && i + 1 < text.size() &&
                            std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      // Extend over a phone-like run: digits and common separators.
      size_t end = i;
      size_t digit_count = 0;
      size_t last_digit = i;
      while (end < text.size()) {
        const unsigned char e = static_cast<unsigned char>(text[end]);
        if (std::isdigit(e)) {
          ++digit_count;
          last_digit = end;
        } else if (!(e == '+' && end == i) &&
                   std::string_view("-(). ").find(static_cast<char>(e)) == std::string_view::npos) {
          break;
        }
        ++end;
      }
      const size_t after = last_digit + 1;
      if (after < text.size() && std::isalpha(static_cast<unsigned char>(text[after])) &&
          std::isdigit(c)) {
        i = copy_word(i);  // "0804a39f...": an id that starts with digits
        continue;
      }
      if (digit_count >= 7) {
        out += MaskPhone(text.substr(i, last_digit - i + 1));
        i = last_digit + 1;
        continue;
      }
      out.append(text.substr(i, last_digit - i + 1));
      i = last_digit + 1;
      continue;
    }
    out.push_back(static_cast<char>(c));
    ++i;
  }
  return out;
}

}  // namespace tillbridge
