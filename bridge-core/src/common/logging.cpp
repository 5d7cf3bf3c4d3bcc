#include "common/logging.h"

#include <cstdlib>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace bitbridge {

spdlog::level::level_enum logLevelFromEnv(spdlog::level::level_enum fallback) {
  const char* value = std::getenv("BITBRIDGE_LOG");
  if (value == nullptr || *value == '\0') return fallback;
  auto level = spdlog::level::from_str(value);
  // from_str maps unknown names to off; only accept "off" when it was asked for.
  if (level == spdlog::level::off && std::string(value) != "off") return fallback;
  return level;
}

std::shared_ptr<spdlog::logger> makeStderrLogger(const std::string& name) {
  auto logger =
      std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("[%H:%M:%S.%e] [%n] [%l] %v");
  logger->set_level(logLevelFromEnv(spdlog::level::warn));
  return logger;
}

std::shared_ptr<spdlog::logger> makeHostLogger() {
  auto logger =
      std::make_shared<spdlog::logger>("host", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%l|%v");
  // The host forwards everything the client would show; the client filters again.
  logger->set_level(logLevelFromEnv(spdlog::level::info));
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::pair<spdlog::level::level_enum, std::string> parseHostLogLine(const std::string& line) {
  auto bar = line.find('|');
  if (bar != std::string::npos && bar > 0 && bar <= 8) {
    auto name = line.substr(0, bar);
    auto level = spdlog::level::from_str(name);
    if (level != spdlog::level::off || name == "off") return {level, line.substr(bar + 1)};
  }
  return {spdlog::level::info, line};
}

}  // namespace bitbridge
