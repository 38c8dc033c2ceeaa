import type { IncomingMessage } from "node:http";
import type { HttpTransport } from "./transport.ts";

/**
 * HTTP over Node's own `http` and `https` modules, for verifiers running in Node (the Lambda
 * functions). A Node process loads `fetch` (undici and web streams) on its first call: about
 * 35 ms, most of a verifier's cold start, measured in `npm run bench`. The module of a URL's
 * scheme is loaded when first needed (`process.getBuiltinModule`), so a stack that reaches every
 * service over HTTPS never loads `http` and a local one never loads `tls`. Connections are kept
 * alive by Node's global agents, as `fetch` keeps them.
 */
export function nodeTransport(): HttpTransport {
  return ({ url, method, headers, body, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const scheme = url.startsWith("https:") ? "node:https" : "node:http";
      const { request } = process.getBuiltinModule(scheme) as typeof import("node:https");
      const timer = setTimeout(() => exchange.destroy(timedOut(timeoutMs)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      const exchange = request(url, { method, headers }, (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("error", fail);
        answer.on("end", () => {
          clearTimeout(timer);
          resolve({ status: answer.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
      });
      exchange.on("error", fail);
      exchange.end(body);
    });
}

/** Named as `AbortSignal.timeout` names its error, so callers report both the same way. */
function timedOut(timeoutMs: number): Error {
  const error = new Error(`no answer within ${timeoutMs} ms`);
  error.name = "TimeoutError";
  return error;
}
