// The command line of bitbridge-host32/64: what a client passes (client/host.cpp,
// client/shared_client-posix.cpp) and the host parses (host/executable/main.cpp and, for the COM
// server modes, host/executable/host_platform-win32.cpp). One spelling for both sides.
#pragma once

namespace bitbridge::host_flags {

// A private host: its end of the channel, its parent and its heartbeat.
inline constexpr char kChannel[] = "--channel";      ///< "fd:<n>" (POSIX) or "pipe:<name>" (Windows)
inline constexpr char kParent[] = "--parent";        ///< the client's pid, watched by the host
inline constexpr char kHeartbeat[] = "--heartbeat";  ///< "fd:<n>" or "pipe:<name>"
inline constexpr char kTransport[] = "--transport";  ///< kTransportSocket or kTransportShm
inline constexpr char kTransportSocket[] = "socket";
inline constexpr char kTransportShm[] = "shm";

/// Prefixes of the channel and heartbeat specifications.
inline constexpr char kDescriptorPrefix[] = "fd:";
inline constexpr char kPipePrefix[] = "pipe:";

// A shared host (POSIX).
inline constexpr char kShared[] = "--shared";            ///< the shared host's name
inline constexpr char kIdleTimeout[] = "--idle-timeout";  ///< milliseconds, 0..86400000

// Limits (HostOptions), each followed by a number.
inline constexpr char kMaxMessageBytes[] = "--max-message-bytes";
inline constexpr char kMaxQueuedBytes[] = "--max-queued-bytes";
inline constexpr char kMaxCallBytes[] = "--max-call-bytes";
inline constexpr char kStallTimeout[] = "--stall-timeout";  ///< milliseconds
inline constexpr char kHelloTimeout[] = "--hello-timeout";  ///< milliseconds
inline constexpr char kMaxConnections[] = "--max-connections";
inline constexpr char kMaxConnectionsPerClient[] = "--max-connections-per-client";

// COM LocalServer modes (Windows): accepted with a leading "-", "--" or "/", case-insensitively,
// as COM and regsvr-style tools spell them.
inline constexpr char kRegServer[] = "regserver";
inline constexpr char kUnregServer[] = "unregserver";
inline constexpr char kPerUser[] = "per-user";
inline constexpr char kEmbedding[] = "Embedding";  ///< what COM passes when it starts a server

}  // namespace bitbridge::host_flags
