// A team's own Hono app on Node, protected by keyward/hono. Answers each request of the lines
// on stdin ("GET /orders <token>") with its status, one per line.

import { createInterface } from "node:readline";
import { Hono } from "hono";
import { keyward } from "keyward/hono";

const app = new Hono();
app.use("/orders", keyward({ env: process.env }));
app.get("/orders", (c) => c.json({ sub: c.get("keyward").claims.sub }));

for await (const line of createInterface({ input: process.stdin })) {
  const [method, path, token] = line.split(" ");
  const answer = await app.request(path, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  console.log(answer.status);
}
