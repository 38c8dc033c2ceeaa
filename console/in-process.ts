import type { ApiAnswer, OpsCaller } from "./api.ts";

/**
 * The ops API of this process (the local stack's), called without a network hop, with the
 * operator credential the stack generated: what `keyward console` does over HTTPS.
 */
export function inProcessCaller(
  opsApp: { request(path: string, init: RequestInit): Response | Promise<Response> },
  credential: string,
): OpsCaller {
  return {
    async call(method, path, body): Promise<ApiAnswer> {
      const response = await opsApp.request(path, {
        method,
        headers: {
          authorization: `Bearer ${credential}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, body: parsed };
    },
  };
}
