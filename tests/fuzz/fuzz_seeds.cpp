// fuzz_seeds: writes or checks the generated part of the fuzz corpora (see seeds.h).
//   fuzz_seeds --write <corpus root>   (re)writes <root>/<target>/gen-* from the generators
//   fuzz_seeds --check <corpus root>   fails if a gen-* file is missing, differs, or is no
//                                      longer generated (run --write and commit the result)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "seeds.h"

namespace {

namespace fs = std::filesystem;
using bitbridge::fuzz::Bytes;
using bitbridge::fuzz::Seeds;

struct Target {
  const char* name;
  Seeds (*seeds)();
};

const Target kTargets[] = {
    {"binary_header", bitbridge::fuzz::binaryHeaderSeeds},
    {"bulk_checks", bitbridge::fuzz::bulkChecksSeeds},
    {"c_binding", bitbridge::fuzz::cBindingSeeds},
    {"host_connection", bitbridge::fuzz::hostConnectionSeeds},
    {"shm_ring", bitbridge::fuzz::shmRingSeeds},
};

bool isGenerated(const fs::path& file) { return file.filename().string().rfind("gen-", 0) == 0; }

int write(const fs::path& root) {
  for (const Target& target : kTargets) {
    fs::path dir = root / target.name;
    fs::create_directories(dir);
    // Drop generated seeds the generator no longer makes; keep everything else.
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (isGenerated(entry.path())) fs::remove(entry.path());
    }
    Seeds seeds = target.seeds();
    for (const auto& [name, bytes] : seeds) {
      std::ofstream out(dir / name, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "fuzz_seeds: cannot write %s\n", (dir / name).c_str());
        return 1;
      }
    }
    std::printf("fuzz_seeds: %zu seeds in %s\n", seeds.size(), dir.c_str());
  }
  return 0;
}

int check(const fs::path& root) {
  int problems = 0;
  for (const Target& target : kTargets) {
    fs::path dir = root / target.name;
    Seeds seeds = target.seeds();
    for (const auto& [name, bytes] : seeds) {
      std::ifstream in(dir / name, std::ios::binary);
      Bytes found((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.is_open() || found != bytes) {
        std::fprintf(stderr, "fuzz_seeds: %s is %s\n", (dir / name).c_str(),
                     in.is_open() ? "out of date" : "missing");
        ++problems;
      }
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (isGenerated(entry.path()) && seeds.count(name) == 0) {
        std::fprintf(stderr, "fuzz_seeds: %s is no longer generated\n", entry.path().c_str());
        ++problems;
      }
    }
  }
  if (problems != 0) {
    std::fprintf(stderr,
                 "fuzz_seeds: %d problem(s); regenerate with `fuzz_seeds --write %s` and commit\n",
                 problems, root.c_str());
    return 1;
  }
  std::printf("fuzz_seeds: generated seeds in %s are current\n", root.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write") return write(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "--check") return check(argv[2]);
  std::fprintf(stderr, "usage: %s --write|--check <corpus root>\n", argv[0]);
  return 64;
}
