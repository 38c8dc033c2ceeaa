import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { limitBody } from "../../../../functions/http/body-limit.ts";
import { errorAnswer } from "../../../../functions/http/errors.ts";

function app() {
  const app = new Hono();
  app.onError(errorAnswer);
  app.post("/echo", limitBody(16), async (c) => c.json({ body: await c.req.text() }));
  return app;
}

/** A body without Content-Length, sent in chunks. */
function chunked(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
}

async function post(
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) {
  const answer = await app().request("/echo", { method: "POST", body, headers, duplex: "half" });
  return { status: answer.status, body: (await answer.json()) as unknown };
}

describe("limitBody", () => {
  it("passes a body within the limit whole, with or without Content-Length", async () => {
    expect(await post("0123456789abcdef", { "content-length": "16" })).toEqual({
      status: 200,
      body: { body: "0123456789abcdef" },
    });
    expect(await post(chunked("01234567", "89abcdef"))).toEqual({
      status: 200,
      body: { body: "0123456789abcdef" },
    });
  });

  it("answers a Content-Length over the limit with a JSON 413 before reading the body", async () => {
    expect(await post("x", { "content-length": "17" })).toEqual({
      status: 413,
      body: {
        error: { code: "payload_too_large", message: "request body is larger than 16 bytes" },
      },
    });
  });

  it("answers a chunked body that grows over the limit with a JSON 413", async () => {
    expect(await post(chunked("01234567", "89abcdef", "!"))).toMatchObject({
      status: 413,
      body: { error: { code: "payload_too_large" } },
    });
  });

  it("answers a Content-Length that is not a byte count with a JSON 400", async () => {
    expect(await post("x", { "content-length": "1e3" })).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request" } },
    });
  });
});
