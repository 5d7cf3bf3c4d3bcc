// The COM identities of the bitbridge hosts: what `bitbridge-hostNN.exe --regserver` writes and
// what Host::activateCom asks COM for. One class per bitness, because a LocalServer32 entry
// names one executable; the client picks the class by the bitness the component needs.
//
// These GUIDs are part of bitbridge's installed interface: registrations made by one version are
// found by another, so they never change. Windows builds only (host and client).
#pragma once

#include <windows.h>
#include <ole2.h>

#include "bitbridge/arch.h"

namespace bitbridge {

struct ComHostIds {
  GUID clsid;
  const wchar_t* clsidText;    ///< the registry key name, braces included
  const wchar_t* progId;       ///< "Bitbridge.Host32"
  const wchar_t* description;  ///< (default) value of the CLSID and ProgID keys
  const char* name;            ///< "bitbridge-host32", for messages
};

// {d36d26a4-d4dd-4295-8fa7-54b786de6a2c}: bitbridge-host32.exe
inline constexpr ComHostIds kComHost32{
    {0xd36d26a4, 0xd4dd, 0x4295, {0x8f, 0xa7, 0x54, 0xb7, 0x86, 0xde, 0x6a, 0x2c}},
    L"{D36D26A4-D4DD-4295-8FA7-54B786DE6A2C}",
    L"Bitbridge.Host32",
    L"bitbridge host (32-bit)",
    "bitbridge-host32"};

// {36d6d796-b8cd-42ec-81c4-1bbe453f7e59}: bitbridge-host64.exe
inline constexpr ComHostIds kComHost64{
    {0x36d6d796, 0xb8cd, 0x42ec, {0x81, 0xc4, 0x1b, 0xbe, 0x45, 0x3f, 0x7e, 0x59}},
    L"{36D6D796-B8CD-42EC-81C4-1BBE453F7E59}",
    L"Bitbridge.Host64",
    L"bitbridge host (64-bit)",
    "bitbridge-host64"};

inline const ComHostIds& comHostIds(Arch arch) {
  return arch == Arch::x86 ? kComHost32 : kComHost64;
}

/// The one property of the object a host's class factory creates:
///   "<pipe name>|<host pid>|<log pipe name>|<heartbeat pipe name>"
/// the private pipe this (single-use) host serves RPC on, the pid every pipe's server must have,
/// the pipe its stderr (its log) goes to once the client connects to it (before the RPC pipe),
/// and the pipe its watchdog answers heartbeats on (created when it serves, like a spawned
/// host's). Every name is "\\.\pipe\bitbridge-" and random (named_pipe-win32.h); none may
/// contain '|'. A host of before the log and heartbeat (two fields) is refused by the client,
/// naming the fix (register the current host).
inline constexpr DISPID kComEndpointDispid = 1;
inline constexpr const wchar_t* kComEndpointName = L"Endpoint";
inline constexpr char kComEndpointSeparator = '|';
inline constexpr unsigned kComEndpointFields = 4;

}  // namespace bitbridge
