// bitbridge-pipe-echo.exe PIPE BYTES: the peer of the raw named-pipe baselines of the Windows
// bench (winbench.h). Creates the pipe PIPE (like a bitbridge host creates its channel), waits for
// one client, then echoes messages of exactly BYTES bytes until the client closes its end.
// Blocking ReadFile/WriteFile on a synchronous handle: the plainest pipe I/O there is, so the
// round trip it gives is the floor of any named-pipe transport. Built for both bitnesses; it
// uses kernel32 only, so its start is a bare process start. Exit status 0 on EOF, 2 on misuse,
// 1 on an I/O error.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

bool readExactly(HANDLE pipe, char* buffer, DWORD size) {
  DWORD done = 0;
  while (done < size) {
    DWORD got = 0;
    if (!::ReadFile(pipe, buffer + done, size - done, &got, nullptr)) return false;
    done += got;
  }
  return true;
}

bool writeAll(HANDLE pipe, const char* buffer, DWORD size) {
  DWORD done = 0;
  while (done < size) {
    DWORD put = 0;
    if (!::WriteFile(pipe, buffer + done, size - done, &put, nullptr)) return false;
    done += put;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PIPE BYTES\n", argv[0]);
    return 2;
  }
  DWORD size = static_cast<DWORD>(std::strtoul(argv[2], nullptr, 10));
  if (size == 0 || size > (1u << 20)) return 2;
  HANDLE pipe = ::CreateNamedPipeA(argv[1], PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                   PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                                       PIPE_REJECT_REMOTE_CLIENTS,
                                   1, 64 * 1024, 64 * 1024, 0, nullptr);
  if (pipe == INVALID_HANDLE_VALUE) {
    std::fprintf(stderr, "pipe-echo: CreateNamedPipe %s: error %lu\n", argv[1], ::GetLastError());
    return 1;
  }
  // The client is our parent, which kills us if it gives up: blocking here is safe.
  if (!::ConnectNamedPipe(pipe, nullptr) && ::GetLastError() != ERROR_PIPE_CONNECTED) {
    std::fprintf(stderr, "pipe-echo: ConnectNamedPipe: error %lu\n", ::GetLastError());
    return 1;
  }
  std::vector<char> buffer(size);
  while (readExactly(pipe, buffer.data(), size)) {
    if (!writeAll(pipe, buffer.data(), size)) return 1;
  }
  DWORD error = ::GetLastError();
  ::CloseHandle(pipe);
  return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED ? 0 : 1;
}
