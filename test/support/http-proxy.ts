import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyFault =
  | { readonly kind: "none" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "error"; readonly status: number };

/**
 * An HTTP proxy in front of a real server. It counts the requests that reach the server (by path
 * and by `X-Amz-Target` operation) and can inject the faults a healthy local server cannot
 * produce: slowness and error answers. Tests that use a fault say so.
 */
export interface CountingProxy {
  readonly url: string;
  requests(): number;
  operations(): Readonly<Record<string, number>>;
  /**
   * Upstash REST commands by name (upper case), what Upstash bills: one per `POST /` and one per
   * element of a `POST /pipeline`.
   */
  commands(): Readonly<Record<string, number>>;
  /** The headers of the last request that came in. */
  lastHeaders(): Readonly<Record<string, string | string[] | undefined>>;
  reset(): void;
  setFault(fault: ProxyFault): void;
  stop(): Promise<void>;
}

/** `port` 0 picks a free one; a stopped proxy comes back on its old port to end an outage. */
export async function startProxy(target: string, port = 0): Promise<CountingProxy> {
  let total = 0;
  let operations: Record<string, number> = {};
  let commands: Record<string, number> = {};
  const countCommands = (path: string, body: Buffer) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return;
    }
    const list = path === "/pipeline" ? parsed : path === "/" ? [parsed] : [];
    if (!Array.isArray(list)) return;
    for (const command of list)
      if (Array.isArray(command) && typeof command[0] === "string") {
        const name = command[0].toUpperCase();
        commands[name] = (commands[name] ?? 0) + 1;
      }
  };
  let fault: ProxyFault = { kind: "none" };
  let lastHeaders: IncomingMessage["headers"] = {};
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    total++;
    lastHeaders = request.headers;
    const operation = String(request.headers["x-amz-target"] ?? request.url ?? "/");
    operations[operation] = (operations[operation] ?? 0) + 1;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method === "POST") countCommands(request.url ?? "/", Buffer.concat(chunks));
    const current = fault;
    if (current.kind === "delay") await new Promise((resolve) => setTimeout(resolve, current.ms));
    if (current.kind === "error") {
      response.writeHead(current.status, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "injected by the test proxy" }));
      return;
    }
    try {
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          ([name]) => !["host", "connection", "content-length"].includes(name),
        ),
      ) as Record<string, string>;
      const answer = await fetch(new URL(request.url ?? "/", target), {
        method: request.method ?? "GET",
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      response.writeHead(
        answer.status,
        Object.fromEntries(
          [...answer.headers].filter(
            ([name]) => name !== "content-encoding" && name !== "transfer-encoding",
          ),
        ),
      );
      response.end(body);
    } catch {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${listening}`,
    requests: () => total,
    operations: () => ({ ...operations }),
    commands: () => ({ ...commands }),
    lastHeaders: () => ({ ...lastHeaders }),
    reset() {
      total = 0;
      operations = {};
      commands = {};
    },
    setFault(next) {
      fault = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
