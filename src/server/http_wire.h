// The HTTP/1.x response head and body as one contiguous buffer, written by
// hand instead of by Beast's serializer: one append per header into one
// string, which the connection sends with a single write. Beast still parses
// requests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coffer::server {

using WireHeader = std::pair<std::string, std::string>;

// `version` is 10 or 11 as Beast reports it. Adds Server and Content-Length,
// and the Connection header when the answer differs from the version's
// default (close on 1.1, keep-alive on 1.0). Headers the caller gives with
// those names, or with a name that is not an HTTP token, are dropped, and a
// CR or LF in a value is replaced by a space, so no caller can split the
// response.
std::string SerializeResponse(int status, std::span<const WireHeader> headers, std::string_view body,
                              unsigned version, bool keep_alive);
// The same into `out` (replacing what it held, keeping its capacity: a
// connection serialises each answer into the buffer of the previous one).
void SerializeResponseInto(int status, std::span<const WireHeader> headers, std::string_view body,
                           unsigned version, bool keep_alive, std::string& out);

// The head alone (status line and headers, through the blank line), for a
// body sent separately (streamed) or not at all (HEAD): Content-Length is
// `content_length`.
std::string SerializeResponseHead(int status, std::span<const WireHeader> headers,
                                  std::uint64_t content_length, unsigned version, bool keep_alive);

// Header lists recycled on the calling thread: the listener gives back each
// answer's list once it is serialised (GiveBackHeaders), and the next answer
// built on that thread gets it with its strings' capacity, holding exactly
// `headers` (nothing of the previous answer). A few lists per thread are kept.
std::vector<WireHeader> RecycledHeaders(
    std::initializer_list<std::pair<std::string_view, std::string_view>> headers);
void GiveBackHeaders(std::vector<WireHeader>&& list);

}  // namespace coffer::server
