import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { OperationRefusalCode, Refused } from "../../shared/operations/refusals.ts";
import { ApiError } from "../http/errors.ts";

/** The status each refusal answers with: a code without one does not compile. */
const STATUS_OF: Readonly<Record<OperationRefusalCode, ContentfulStatusCode>> = {
  keyring_conflict: 409,
  keyring_exists: 409,
  rotation_in_progress: 409,
  activation_not_due: 409,
  emergency_in_progress: 409,
  no_previous_key: 409,
  legacy_key_exists: 409,
  wrong_status: 409,
  key_compromised: 409,
  kid_exists: 409,
  key_not_found: 404,
  store_unavailable: 503,
  rollout_invalid: 422,
  secret_invalid: 422,
  self_test_failed: 422,
  lifetime_too_long: 422,
  sample_invalid: 422,
  not_revocable: 422,
};

/** A refused operation as the API's error answer. */
export function refusedError(refused: Refused): ApiError {
  return new ApiError(STATUS_OF[refused.code], refused.code, refused.message);
}
