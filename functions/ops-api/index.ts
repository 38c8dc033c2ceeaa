import { handle } from "hono/aws-lambda";
import { createOpsAppFromEnv } from "./wiring.ts";

/** The Lambda entry point: API Gateway (REST or HTTP) or a Function URL, through Hono's adapter. */
export const handler = handle(await createOpsAppFromEnv(process.env));
