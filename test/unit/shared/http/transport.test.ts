import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeTransport } from "../../../../shared/http/node-transport.ts";
import { fetchTransport, type HttpTransport } from "../../../../shared/http/transport.ts";
import { freePort } from "../../../support/processes.ts";

const TRANSPORTS: Record<string, HttpTransport> = {
  fetchTransport,
  nodeTransport: nodeTransport(),
};

/** Echoes what it received; `/slow` never answers; `/status/<n>` answers n. */
let server: Server;
let base: string;
const held: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/slow") {
        held.push(request);
        return;
      }
      const status = Number(/^\/status\/(\d+)$/.exec(request.url ?? "")?.[1] ?? 200);
      response.writeHead(status, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          method: request.method,
          target: request.headers["x-target"],
          host: request.headers.host,
          body: Buffer.concat(chunks).toString("utf8"),
          unicode: "é – ✓",
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe.each(Object.entries(TRANSPORTS))("%s", (_name, send) => {
  it("sends the method, headers and body, and answers the status and the whole body as text", async () => {
    const answer = await send({
      url: `${base}/status/201`,
      method: "POST",
      headers: { "x-target": "secretsmanager.GetSecretValue", "content-type": "application/json" },
      body: '{"SecretId":"ü"}',
      timeoutMs: 5_000,
    });
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({
      method: "POST",
      target: "secretsmanager.GetSecretValue",
      host: new URL(base).host,
      body: '{"SecretId":"ü"}',
      unicode: "é – ✓",
    });
  });

  it("answers an error status as an answer, not a throw", async () => {
    const answer = await send({
      url: `${base}/status/503`,
      method: "GET",
      headers: {},
      timeoutMs: 5_000,
    });
    expect(answer.status).toBe(503);
  });

  it("fails with a TimeoutError when no answer comes within the limit", async () => {
    const started = performance.now();
    const attempt = send({
      url: `${base}/slow`,
      method: "POST",
      headers: {},
      body: "{}",
      timeoutMs: 200,
    });
    await expect(attempt).rejects.toMatchObject({ name: "TimeoutError" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("fails when nothing listens", async () => {
    const port = await freePort();
    const attempt = send({
      url: `http://127.0.0.1:${port}/`,
      method: "GET",
      headers: {},
      timeoutMs: 5_000,
    });
    await expect(attempt).rejects.toBeInstanceOf(Error);
  });
});
