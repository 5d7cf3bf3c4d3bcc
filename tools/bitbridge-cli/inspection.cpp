#include "inspection.h"

#include "client/host_locator.h"

namespace bitbridge::cli {
namespace {

void findDependencies(FileReport& report, const SearchEnvironment& environment) {
  const BinaryImage& image = *report.image;
  DependencyResolver resolver(environment);
  const bool native = image.header.format == environment.nativeFormat;
  if (native && image.header.arch) {
    // What the host process already has loaded counts as provided; without an installed host
    // only bitbridge-core itself is recognised.
    try {
      std::string host = locateHostExecutable(*image.header.arch, "");
      resolver.addHostLibraries(host);
      report.resolution = "as " + host + " resolves them";
    } catch (const Error& e) {
      report.resolution = "as " + report.host.host + " would resolve them (it was not found: " +
                          e.message() + ")";
    }
  } else if (native) {
    report.resolution = "as this system's loader would (no bitbridge host can load it)";
  } else if (image.header.format == BinaryFormat::Pe) {
    report.resolution = "a Windows image, inspected on Linux: only its own directory is "
                        "searched here";
  } else {
    report.resolution = "an ELF image, inspected on Windows: not resolved here";
  }
  report.dependencies = resolver.resolve(report.path, image);
}

void listComponentClasses(FileReport& report, const InspectOptions& options,
                          const SearchEnvironment& environment) {
  const BinaryImage& image = *report.image;
  ClassListing& classes = report.classes;
  if (!image.exportsComponentEntry()) {
    classes.reason = "not a component";
  } else if (!options.load) {
    classes.reason = "--no-load: the component was not loaded";
  } else if (image.header.format != environment.nativeFormat) {
    classes.reason = std::string("a ") +
                     (image.header.format == BinaryFormat::Pe ? "Windows" : "Linux") +
                     " component: run bitbridge inspect there to load it and list its classes";
  } else if (report.host.host.empty()) {
    classes.reason = "no bitbridge host can load it";
  } else {
    classes = listClasses(report.path, *image.header.arch);
  }
}

void collectProblems(FileReport& report) {
  if (report.error) {
    report.problems.push_back(report.error->message());
    return;
  }
  if (report.host.host.empty()) {
    report.problems.push_back("no bitbridge host can load it: " + report.host.reason);
  }
  for (const Dependency& d : report.dependencies) {
    if (!isProblem(d.status)) continue;
    std::string line = d.name + (d.delayLoaded ? " (delay-loaded)" : "") + " is " +
                       dependencyStatusName(d.status);
    if (!d.detail.empty()) line += ": " + d.detail;
    report.problems.push_back(line + " (needed by " + d.neededBy + ")");
  }
  if (report.classes.status == ClassListing::Status::Failed && report.classes.error) {
    report.problems.push_back("loading it in " + report.classes.host + " failed: " +
                              report.classes.error->message());
  }
}

}  // namespace

FileReport inspectFile(const std::string& path, const InspectOptions& options,
                       const SearchEnvironment& environment) {
  FileReport report;
  report.path = path;
  try {
    report.image = readBinaryImage(path);
    report.host = hostRequirement(*report.image);
    findDependencies(report, environment);
    listComponentClasses(report, options, environment);
  } catch (const Error& e) {
    report.error = e;
  }
  collectProblems(report);
  return report;
}

}  // namespace bitbridge::cli
