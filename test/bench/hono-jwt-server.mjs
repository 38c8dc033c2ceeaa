// The HTTP peer: a bare Hono app on @hono/node-server whose one route, GET /whoami, is behind
// hono/jwt (HS256, the secret imported once as a CryptoKey), answering the token's claims as the
// local stack's /whoami does. Serves 127.0.0.1:BENCH_PORT; the secret comes as BENCH_SECRET (base64url).
import { webcrypto } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { jwt } from "hono/jwt";

const secret = await webcrypto.subtle.importKey(
  "raw",
  Buffer.from(process.env.BENCH_SECRET ?? "", "base64url"),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["verify"],
);
const app = new Hono();
app.use("/whoami", jwt({ secret, alg: "HS256" }));
app.get("/whoami", (c) => c.json({ claims: c.get("jwtPayload") }));
app.get("/health", (c) => c.text("ok"));
serve({ fetch: app.fetch, port: Number(process.env.BENCH_PORT), hostname: "127.0.0.1" });
