// Log messages on stderr, filtered by $CINN_LOG (DESIGN.md, "No global flags": the one
// environment variable besides the IR dumps' $CINN_DUMP_DIR).
//
//   CINN_LOG=error    errors only (warnings off)
//   CINN_LOG=warning  the default: a tuning record that does not replay, an invalid cache
//                     entry, ...
//   CINN_LOG=info     also what compile does and what it costs: cache hits and misses,
//                     kernels, time per stage (graph passes and fusion, lowering and
//                     scheduling, code generation)
//   CINN_LOG=debug    also each kernel: its ops, pattern and schedule
//
// The level is read once, at the first message. Lines are written whole ("cinn[info]:
// ..."), one at a time, from any thread.
//
//   CINN_LOG(kInfo) << "compile '" << name << "': " << n << " kernels";
#pragma once

#include <sstream>
#include <string>

namespace cinn::common {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

// The level $CINN_LOG sets (error, warning, info, debug, or 0-3; case-insensitive). An
// unknown value is reported once and means "warning".
LogLevel log_level();
inline bool log_enabled(LogLevel level) { return level <= log_level(); }
const char* log_level_name(LogLevel level);
// Writes "cinn[<level>]: <message>\n" to stderr.
void log_message(LogLevel level, const std::string& message);

class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { log_message(level_, stream_.str()); }
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace cinn::common

// A message at `level` (kError, kWarning, kInfo, kDebug); the stream operands are not
// evaluated when the level is off.
#define CINN_LOG(level)                                                \
  if (!::cinn::common::log_enabled(::cinn::common::LogLevel::level)) { \
  } else                                                               \
    ::cinn::common::LogLine(::cinn::common::LogLevel::level).stream()
