#include "common/bulk/bulk_reference_check.h"

namespace bitbridge {
namespace {

thread_local const BulkReferenceCheck* threadCheck = nullptr;

}  // namespace

BulkReferenceCheckScope::BulkReferenceCheckScope(const BulkReferenceCheck& check)
    : previous_(threadCheck) {
  threadCheck = &check;
}

BulkReferenceCheckScope::~BulkReferenceCheckScope() { threadCheck = previous_; }

const BulkReferenceCheck* BulkReferenceCheckScope::current() { return threadCheck; }

void checkBulkReferenceOrigin(const void* wireBytes, uint64_t segmentId) {
  if (const BulkReferenceCheck* check = threadCheck) check->checkReference(wireBytes, segmentId);
}

}  // namespace bitbridge
