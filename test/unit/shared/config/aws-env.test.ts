import { describe, expect, it } from "vitest";
import { awsSettings } from "../../../../shared/config/aws-env.ts";

describe("awsSettings", () => {
  it("reads region, the service's endpoint before the general one, and the credentials", () => {
    expect(
      awsSettings(
        {
          AWS_DEFAULT_REGION: "eu-west-1",
          AWS_ENDPOINT_URL: "http://general",
          AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://secrets",
          AWS_ACCESS_KEY_ID: "id",
          AWS_SECRET_ACCESS_KEY: "secret",
          AWS_SESSION_TOKEN: "session",
        },
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
      ),
    ).toEqual({
      region: "eu-west-1",
      endpoint: "http://secrets",
      credentials: { accessKeyId: "id", secretAccessKey: "secret", sessionToken: "session" },
    });
    expect(
      awsSettings(
        { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://general" },
        "AWS_ENDPOINT_URL_EVENTBRIDGE",
      ),
    ).toEqual({ region: "us-east-1", endpoint: "http://general" });
  });

  it("leaves the credentials to the SDK's own chain unless both halves of a key are set", () => {
    expect(
      awsSettings({ AWS_ACCESS_KEY_ID: "id", AWS_SESSION_TOKEN: "s" }, "AWS_ENDPOINT_URL_X"),
    ).toEqual({});
  });
});
