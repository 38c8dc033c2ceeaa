import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { formTokenOf, launchGuard } from "../../../console/guard.ts";

const SECRET = "launch-secret-0123456789abcdefghijklmnop";

function guarded() {
  const app = new Hono();
  app.use("/console/*", launchGuard(SECRET, "/console"));
  app.get("/console", (c) => c.text("page"));
  app.post("/console/actions/x", (c) => c.text("done"));
  return app;
}

const cookie = `kw_console=${SECRET}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (headers: Record<string, string>, body: string) =>
  guarded().request("http://127.0.0.1:9000/console/actions/x", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });

describe("the console's launch guard", () => {
  it("trades the launch secret for a strict, HttpOnly cookie and drops it from the address", async () => {
    const answer = await guarded().request(`http://127.0.0.1:9000/console?k=${SECRET}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/console");
    const set = answer.headers.get("set-cookie") ?? "";
    expect(set).toContain(`kw_console=${SECRET}`);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/console/);
  });

  it("refuses a wrong secret, and any page without the cookie", async () => {
    expect((await guarded().request("http://127.0.0.1:9000/console?k=guess")).status).toBe(403);
    expect((await guarded().request("http://127.0.0.1:9000/console")).status).toBe(403);
    const page = await guarded().request("http://127.0.0.1:9000/console", { headers: { cookie } });
    expect(await page.text()).toBe("page");
  });

  it("lets an action through only from its own page: the cookie, the form's token, and no other site", async () => {
    const token = formTokenOf(SECRET);
    expect(token).not.toContain(SECRET);
    const own = { cookie, origin: "http://127.0.0.1:9000", "sec-fetch-site": "same-origin" };
    expect((await post(own, form({ form_token: token }))).status).toBe(200);
    expect((await post(own, form({ form_token: "forged" }))).status).toBe(403);
    expect((await post({ ...own, cookie: "" }, form({ form_token: token }))).status).toBe(403);
    expect(
      (await post({ ...own, "sec-fetch-site": "same-site" }, form({ form_token: token }))).status,
    ).toBe(403);
    expect(
      (await post({ ...own, origin: "http://127.0.0.1:9001" }, form({ form_token: token }))).status,
    ).toBe(403);
    expect((await post({ ...own, origin: "null" }, form({ form_token: token }))).status).toBe(403);
  });
});
