#include "class_listing.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <kj/exception.h>

#include "bitbridge/host.h"
#include "client/host_locator.h"

namespace bitbridge::cli {

const char* classListingStatusName(ClassListing::Status status) {
  switch (status) {
    case ClassListing::Status::Listed: return "listed";
    case ClassListing::Status::Failed: return "failed";
    case ClassListing::Status::Skipped: return "skipped";
  }
  return "skipped";
}

ClassListing listClasses(const std::string& path, Arch arch) {
  ClassListing listing;
  try {
    listing.host = locateHostExecutable(arch, "");
    // The host's own log lines would interleave with the report; its failures come back in
    // the Error (exit status and log tail), which the report prints.
    RuntimeOptions runtimeOptions;
    runtimeOptions.logger = std::make_shared<spdlog::logger>(
        "bitbridge-inspect", std::make_shared<spdlog::sinks::null_sink_mt>());
    Runtime runtime(runtimeOptions);
    HostOptions options;
    options.component = path;
    options.arch = arch;
    Host host = Host::spawn(runtime, options);
    HostInfo info = host.info();
    for (const ComponentInfo& component : info.components) listing.classes = component.classes;
    host.shutdown();
    listing.status = ClassListing::Status::Listed;
  } catch (const Error& e) {
    listing.status = ClassListing::Status::Failed;
    listing.error = e;
  } catch (const kj::Exception& e) {
    listing.status = ClassListing::Status::Failed;
    listing.error = fromKjException(e);
  } catch (const std::exception& e) {
    listing.status = ClassListing::Status::Failed;
    listing.error = Error(ErrorKind::Remote, e.what());
  }
  return listing;
}

}  // namespace bitbridge::cli
