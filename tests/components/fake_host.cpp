// Stand-ins for a broken host, used to check the client never hangs and names the cause:
//   fake_host silent   -> never greets (handshake timeout)
//   fake_host garbage  -> writes bytes that are not a bitbridge hello (peer that is not us)
//   fake_host exit     -> prints a line and exits 3 before greeting
// Installed by tests under the name bitbridge-host32/64 in a private directory; the mode comes
// from $BITBRIDGE_FAKE_HOST_MODE since the client passes its own arguments.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main() {
  const char* mode = std::getenv("BITBRIDGE_FAKE_HOST_MODE");
  if (mode == nullptr) mode = "silent";
  if (std::strcmp(mode, "garbage") == 0) {
    const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    (void)!::write(3, reply, sizeof(reply) - 1);
    ::sleep(30);
    return 0;
  }
  if (std::strcmp(mode, "exit") == 0) {
    std::fprintf(stderr, "fake host: cannot initialise the legacy library\n");
    return 3;
  }
  ::sleep(30);
  return 0;
}
