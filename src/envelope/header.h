// The message header (data-format/message-header.md), versions 1.0 and 2.0.
#pragma once

#include <cstdint>
#include <vector>

#include "coffer/envelope.h"
#include "common/cursor.h"
#include "envelope/suite.h"

namespace coffer::envelope {

enum class ContentType : std::uint8_t { kNonFramed = 1, kFramed = 2 };

struct MessageHeader {
  const SuiteInfo* suite = nullptr;
  Bytes message_id;
  EncryptionContext context;  // as stored
  std::vector<EncryptedDataKey> encrypted_data_keys;
  ContentType content_type = ContentType::kFramed;
  std::uint32_t frame_length = 0;
  Bytes commitment;  // v2 suite data (the commit key)
  // Header authentication: v1 stores its IV, v2 uses an all-zero IV.
  Bytes auth_iv;
  Bytes auth_tag;
  // The exact header body bytes, the AAD of the header tag.
  Bytes body;
};

// Reads the header body and the header authentication from `cursor`, every
// field bound-checked. max_edks == 0 means no limit; more EDKs than the limit
// fail as soon as the count is read.
StatusOr<MessageHeader> ParseHeader(Cursor& cursor, std::size_t max_edks);

// The header body for `header` (suite, id, context, EDKs, content type,
// frame length, commitment); fills nothing else.
StatusOr<Bytes> SerializeHeaderBody(const MessageHeader& header);

// The header authentication field that follows the body.
Bytes SerializeHeaderAuth(const MessageHeader& header);

}  // namespace coffer::envelope
