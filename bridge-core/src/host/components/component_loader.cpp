#include "host/components/component_loader.h"

#include <filesystem>

#include "bitbridge/error.h"
#include "common/binary/binary_image.h"
#include "common/binary/search_environment.h"

namespace bitbridge {

std::optional<Dependency> findDependencyProblem(const std::string& path,
                                                const std::string& hostExecutable) {
  try {
    DependencyResolver resolver(nativeSearchEnvironment());
    resolver.addHostLibraries(hostExecutable);
    for (Dependency& d : resolver.resolve(path, readBinaryImage(path))) {
      if (d.delayLoaded) continue;
      if (d.status == DependencyStatus::WrongBitness || d.status == DependencyStatus::Missing) {
        return std::move(d);
      }
    }
  } catch (const std::exception&) {
    // An unreadable host or component: the loader's own error stands alone.
  }
  return std::nullopt;
}

std::string throughWhat(const std::string& path, const Dependency& dependency) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dependency.depth <= 1 || fs::equivalent(dependency.neededBy, path, ec)) return {};
  return " (through " + fs::path(dependency.neededBy).filename().string() + ")";
}

Error wrongBitnessDependencyError(const std::string& path, const Dependency& dependency,
                                  const std::string& loaderText) {
  namespace fs = std::filesystem;
  const unsigned ours = sizeof(void*) * 8;
  const unsigned theirs = ours == 32 ? 64 : 32;
  std::string what = std::to_string(theirs) + "-bit";
  bool pe = nativeBinaryFormat() == BinaryFormat::Pe;
  try {
    BinaryInfo info = inspectBinary(dependency.path);
    what = info.description;
    pe = info.format == BinaryFormat::Pe;
  } catch (const std::exception&) {
    // It was readable a moment ago (the resolver judged it); keep the plain words.
  }
  const std::string host = ours == 32 ? "bitbridge-host32" : "bitbridge-host64";
  std::string dir = fs::path(path).parent_path().string();
  return Error(
      ErrorKind::WrongBitness,
      "cannot load " + path + ": it needs " + dependency.name + throughWhat(path, dependency) +
          ", and the " + dependency.name + " the loader finds, " + dependency.path + ", is " +
          what + " (" + std::to_string(theirs) + "-bit); " + host + " is " + std::to_string(ours) +
          "-bit and can only load a " + std::to_string(ours) + "-bit " + dependency.name +
          " (the loader said: " + loaderText + ")",
      pe ? "put the " + std::to_string(ours) + "-bit build of " + dependency.name +
               " next to the component (" + dir + "), in place of the " +
               std::to_string(theirs) + "-bit one, or in a directory on PATH ahead of it"
         : "install the " + std::to_string(ours) + "-bit build of " + dependency.name +
               " (Debian: the :" + (ours == 32 ? "i386" : "amd64") +
               " package), or put it next to the component (" + dir +
               ", found through RPATH $ORIGIN) or on LD_LIBRARY_PATH");
}

void validateComponentTable(const ComponentTable* table, const std::string& path) {
  const std::string fix = "rebuild the component against this bitbridge (bitbridge_add_component)";
  if (table == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                path + ": " BITBRIDGE_COMPONENT_ENTRY_NAME "() returned no table", fix);
  }
  if (table->abiVersion != kComponentAbiVersion) {
    throw Error(ErrorKind::BadConfiguration,
                path + " was built for component ABI " + std::to_string(table->abiVersion) +
                    "; this host implements ABI " + std::to_string(kComponentAbiVersion),
                fix);
  }
  if (table->capnpVersion != CAPNP_VERSION) {
    throw Error(ErrorKind::BadConfiguration,
                path + " was built with Cap'n Proto " + std::to_string(table->capnpVersion) +
                    "; this host uses " + std::to_string(CAPNP_VERSION) +
                    " (objects cross between them, so they must match)",
                fix);
  }
  if (table->classCount == 0 || table->classes == nullptr) {
    throw Error(ErrorKind::BadConfiguration, path + " offers no classes",
                "list at least one bitbridge::serve<Impl>(\"name\") in BITBRIDGE_COMPONENT(...)");
  }
  for (uint32_t i = 0; i < table->classCount; ++i) {
    const ClassFactory& f = table->classes[i];
    if (f.name == nullptr || *f.name == '\0' || f.create == nullptr) {
      throw Error(ErrorKind::BadConfiguration,
                  path + ": class entry " + std::to_string(i) + " has no name or no factory", fix);
    }
  }
}

const LoadedComponent& ComponentRegistry::load(const std::string& path,
                                               const std::string& legacyLibrary) {
  LoadedComponent loaded = openComponentLibrary(path, legacyLibrary);
  for (const auto& existing : components_) {
    if (existing->path == loaded.path) return *existing;  // dlopen refcounts; nothing to undo
  }
  for (const auto& name : loaded.classes) {
    if (auto it = classes_.find(name); it != classes_.end()) {
      throw Error(ErrorKind::BadConfiguration,
                  "class '" + name + "' is offered by both " + it->second.second->path + " and " +
                      loaded.path,
                  "give the classes distinct names, or load the components in separate hosts");
    }
  }
  components_.push_back(std::make_unique<LoadedComponent>(std::move(loaded)));
  const LoadedComponent& entry = *components_.back();
  for (uint32_t i = 0; i < entry.table->classCount; ++i) {
    classes_[entry.table->classes[i].name] = {&entry.table->classes[i], &entry};
  }
  return entry;
}

void ComponentRegistry::requireClass(const std::string& className) const {
  if (classes_.count(className) != 0) return;
  std::string offered;
  for (const auto& [name, entry] : classes_) offered += (offered.empty() ? "" : ", ") + name;
  throw Error(ErrorKind::NotFound,
              "no class '" + className + "' in this host; loaded components offer: " +
                  (offered.empty() ? "(nothing loaded)" : offered),
              "load the component that provides it (HostOptions::component or Host::load)");
}

capnp::Capability::Client ComponentRegistry::create(const std::string& className,
                                                    ComponentContext& context) const {
  requireClass(className);
  return classes_.find(className)->second.first->create(context);
}

std::string ComponentRegistry::componentOf(const std::string& className) const {
  auto it = classes_.find(className);
  return it == classes_.end() ? std::string() : it->second.second->path;
}

}  // namespace bitbridge

namespace bitbridge {

uint32_t ComponentRegistry::classFlags(const std::string& className) const {
  auto it = classes_.find(className);
  return it == classes_.end() ? 0 : it->second.first->flags;
}

}  // namespace bitbridge
