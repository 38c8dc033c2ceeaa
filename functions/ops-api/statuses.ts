import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Operation refusal codes and the statuses they answer with. */
export function statusOf(code: string): ContentfulStatusCode {
  switch (code) {
    case "keyring_conflict":
    case "rotation_in_progress":
    case "emergency_in_progress":
    case "no_previous_key":
    case "legacy_key_exists":
    case "wrong_status":
    case "key_compromised":
    case "kid_exists":
      return 409;
    case "key_not_found":
      return 404;
    case "store_unavailable":
      return 503;
    default:
      return 422;
  }
}
