// Request validation driven by the service model, with AWS's error shapes.
//
// A body is first checked for JSON types, as AWS's deserializer does: a value
// of the wrong kind, or a blob that is not base64, is a SerializationException
// and stops the check. Then every constraint of the input shape is checked and
// ALL violations are reported in one ValidationException, e.g.
//   2 validation errors detected: Value null at 'keyId' failed to satisfy
//   constraint: Member must not be null; Value '0' at 'numberOfBytes' failed
//   to satisfy constraint: Member must have value greater than or equal to 1
// Members the model does not declare are ignored, and a JSON null counts as
// an absent member, as on AWS. Values are echoed only for non-sensitive
// strings and numbers, cut to 64 characters; blobs and sensitive members
// never are.
#pragma once

#include "api/service_model.h"
#include "common/bytes.h"
#include "common/json_view.h"
#include "common/secret_bytes.h"
#include "common/status.h"
#include "common/status_or.h"

namespace coffer::api {

// OK, kSerialization or kValidation. Never throws. Allocates nothing when the
// body is valid and has no members with patterns.
Status ValidateInput(const ServiceModel& model, const Operation& op, JsonView body);

// The bytes of a blob member (a base64 string on the wire). kSerialization
// when the value is not a string or not canonical padded base64. Use after
// ValidateInput, which has checked the decoded length.
StatusOr<Bytes> DecodeBlob(JsonView value);
// The same for secret blobs (Plaintext): no unwiped copy is left behind.
StatusOr<SecretBytes> DecodeSecretBlob(JsonView value);

}  // namespace coffer::api
