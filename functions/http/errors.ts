import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { KeywardError, StoreUnavailable } from "../../shared/kernel/errors.ts";
import { createLogger } from "../../shared/observability/log.ts";

const log = createLogger("keyward-ops-api");

/** Seconds a client should wait before retrying a 503: a store's hiccup, not an outage's end. */
export const RETRY_AFTER_SECONDS = 5;

/** A refusal the API answers with `{"error": {"code", "message"}}` and its status. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * Every error as JSON, never a stack trace: refusals with their status, a store that did not
 * answer as 503 with Retry-After, broken configuration or data as 500 with its code, anything
 * else as 500 (logged by name only).
 */
export function errorAnswer(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    if (error.status === 503) c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    return c.json(errorBody(error.code, error.message), error.status);
  }
  if (error instanceof StoreUnavailable) {
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    return c.json(errorBody("store_unavailable", "a store did not answer; try again"), 503);
  }
  // Broken configuration or stored data (a keyring that breaks its rules): their messages name
  // fields and rules, never values.
  if (error instanceof KeywardError) return c.json(errorBody(error.code, error.message), 500);
  log.error("unhandled error", { name: error.name });
  return c.json(errorBody("internal_error", "unexpected error; see the function's logs"), 500);
}
