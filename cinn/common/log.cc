#include "cinn/common/log.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace cinn::common {

namespace {

LogLevel parse_level(std::string v, bool* known) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  *known = true;
  if (v == "error" || v == "0") return LogLevel::kError;
  if (v.empty() || v == "warning" || v == "warn" || v == "1") return LogLevel::kWarning;
  if (v == "info" || v == "2") return LogLevel::kInfo;
  if (v == "debug" || v == "3") return LogLevel::kDebug;
  *known = false;
  return LogLevel::kWarning;
}

std::mutex& output_mutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

LogLevel log_level() {
  static const LogLevel level = [] {
    const char* env = std::getenv("CINN_LOG");
    std::string value = env ? env : "";
    bool known = true;
    LogLevel l = parse_level(value, &known);
    if (!known) {
      std::lock_guard<std::mutex> lk(output_mutex());
      std::fprintf(stderr,
                   "cinn[warning]: CINN_LOG='%s' is not a level (error, warning, info, debug); "
                   "using warning\n",
                   value.c_str());
    }
    return l;
  }();
  return level;
}

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "?";
}

void log_message(LogLevel level, const std::string& message) {
  std::string line = std::string("cinn[") + log_level_name(level) + "]: " + message + "\n";
  std::lock_guard<std::mutex> lk(output_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace cinn::common
