// Loads component libraries into a host process and keeps the classes they offer.
//
// Lifetime: libraries stay loaded until the host exits; they are never unloaded, because many
// legacy libraries crash or leak when unloaded, and instances may still be alive.
// Thread assumption: used from the host's RPC thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitbridge/component.h"
#include "bitbridge/error.h"
#include "common/binary/dependency_resolver.h"

namespace bitbridge {

struct LoadedComponent {
  std::string path;                  ///< canonical absolute path
  const ComponentTable* table = nullptr;
  std::vector<std::string> classes;  ///< names, in the table's order
};

/// Opens `path` with the platform loader after checking its header (and `legacyLibrary`'s, if
/// given) against this process's architecture; validates the entry point and its table.
/// Throws Error: NotFound, WrongBitness, BadConfiguration (loader text verbatim: dlerror() /
/// GetLastError() message). Implemented per platform (component_loader-posix.cpp).
LoadedComponent openComponentLibrary(const std::string& path, const std::string& legacyLibrary);

/// Why the platform loader refused `path`, found by walking its dependencies as that loader
/// does (dependency_resolver.h), with what `hostExecutable` has loaded counted as present: the
/// first dependency, direct or not, that the loader would find only in the other bitness
/// (status WrongBitness) or nowhere (Missing); delay-loaded DLLs are not loaded at load time
/// and are left out. Nothing if the walk finds neither, or cannot be done (a walk that fails
/// must not hide the loader's own error). Only for the failure path: it reads the headers of
/// every dependency.
std::optional<Dependency> findDependencyProblem(const std::string& path,
                                                const std::string& hostExecutable);

/// The error for a dependency of the other bitness (`dependency.status` WrongBitness): names
/// it, where the loader takes it from, what it is, and the fix. `loaderText` is the
/// loader's own words, kept at the end.
Error wrongBitnessDependencyError(const std::string& path, const Dependency& dependency,
                                  const std::string& loaderText);

/// " (through libother.dll)" when `dependency` is needed by something other than `path`.
std::string throughWhat(const std::string& path, const Dependency& dependency);

/// Validates a table returned by an entry point (shared by every platform's loader).
void validateComponentTable(const ComponentTable* table, const std::string& path);

/// The components loaded into one host and the class names they offer.
class ComponentRegistry {
 public:
  /// Loads (or finds, if that path is already loaded) a component. A class name offered by two
  /// components is an error naming both.
  const LoadedComponent& load(const std::string& path, const std::string& legacyLibrary);
  /// Throws Error{NotFound} listing the classes on offer unless `className` is one of them.
  void requireClass(const std::string& className) const;
  /// Creates an instance of `className`; throws Error{NotFound} listing the classes on offer.
  capnp::Capability::Client create(const std::string& className, ComponentContext& context) const;
  const std::vector<std::unique_ptr<LoadedComponent>>& components() const { return components_; }
  /// Path of the component that offers `className` ("" if none).
  std::string componentOf(const std::string& className) const;
  /// The class's ClassFactory::flags (0 if there is no such class).
  uint32_t classFlags(const std::string& className) const;

 private:
  std::vector<std::unique_ptr<LoadedComponent>> components_;
  std::map<std::string, std::pair<const ClassFactory*, const LoadedComponent*>> classes_;
};

}  // namespace bitbridge
