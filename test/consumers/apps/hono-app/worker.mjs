// The same app as a Cloudflare Worker: the bindings from cloudflare:workers, checked at start.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { keyward } from "keyward/hono";

const app = new Hono();
app.use("/orders", keyward({ env }));
app.get("/orders", (c) => c.json({ sub: c.get("keyward").claims.sub }));
export default app;
