// S3 tag sets: the <Tagging> body of Put*Tagging, the x-amz-tagging header of
// PutObject, and their rules (S3 answers InvalidTag / MalformedXML).
#pragma once

#include <string>
#include <string_view>

#include "common/status_or.h"
#include "s3/records.h"

namespace coffer::s3 {

inline constexpr std::size_t kMaxObjectTags = 10;
inline constexpr std::size_t kMaxBucketTags = 50;

StatusOr<Tags> ParseTaggingXml(std::string_view body, std::size_t max_tags);
// "k1=v1&k2=v2", URL-encoded as S3's x-amz-tagging header.
StatusOr<Tags> ParseTaggingHeader(std::string_view header, std::size_t max_tags);
std::string TaggingXml(const Tags& tags);

}  // namespace coffer::s3
