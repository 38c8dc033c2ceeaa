import { describe, expect, it } from "vitest";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { upstashSettingsFromSecret } from "../../../../shared/upstash/settings.ts";

describe("upstashSettingsFromSecret", () => {
  it("reads {url, token}", () => {
    expect(
      upstashSettingsFromSecret("s", '{"url":"https://x.upstash.io","token":"t0k3n"}'),
    ).toEqual({
      url: "https://x.upstash.io",
      token: "t0k3n",
    });
  });

  it("refuses anything else by the secret's name, never quoting its text", () => {
    for (const text of [
      '{"url":"https://x","token":',
      '{"url":1,"token":"s3cr3t-value"}',
      "s3cr3t-value",
      undefined,
    ]) {
      let error: unknown;
      try {
        upstashSettingsFromSecret("keyward/upstash", text);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigInvalid);
      expect((error as Error).message).toBe(
        'configuration is invalid: secret keyward/upstash must hold JSON {"url": "...", "token": "..."}',
      );
    }
  });
});
