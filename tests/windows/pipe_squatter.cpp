// A test helper that takes a named pipe's name before a bitbridge host can: it creates the pipe
// (default security, many instances), prints "squatting pid <pid>" and keeps offering instances,
// answering nobody, until it is killed or 60 s have passed.
//   pipe_squatter.exe <\\.\pipe\name>
#include <windows.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pipe_squatter <pipe name>\n");
    return 64;
  }
  HANDLE first = ::CreateNamedPipeA(argv[1], PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                    PIPE_TYPE_BYTE | PIPE_WAIT, PIPE_UNLIMITED_INSTANCES, 4096,
                                    4096, 0, nullptr);
  if (first == INVALID_HANDLE_VALUE) {
    std::fprintf(stderr, "pipe_squatter: CreateNamedPipe failed: %lu\n", ::GetLastError());
    return 1;
  }
  std::printf("squatting pid %lu\n", ::GetCurrentProcessId());
  std::fflush(stdout);
  // Each client takes an instance and is left alone; a new instance waits for the next.
  auto deadline = ::GetTickCount64() + 60000;
  HANDLE instance = first;
  while (::GetTickCount64() < deadline) {
    if (::ConnectNamedPipe(instance, nullptr) || ::GetLastError() == ERROR_PIPE_CONNECTED) {
      instance = ::CreateNamedPipeA(argv[1], PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nullptr);
      if (instance == INVALID_HANDLE_VALUE) break;
    } else {
      ::Sleep(10);
    }
  }
  ::Sleep(60000);
  return 0;
}
