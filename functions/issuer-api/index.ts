import { handle } from "hono/aws-lambda";
import { createIssuingAppFromEnv } from "./wiring.ts";

/** The Lambda entry point of the issuing endpoint (a Function URL with IAM auth), through Hono's adapter. */
export const handler = handle(await createIssuingAppFromEnv(process.env));
