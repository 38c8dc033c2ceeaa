import { greeting } from "./greeting.ts";

/** The Lambda entry point of the sample route (REST API, Lambda proxy integration). */
export const handler = async (event: unknown) => greeting(event as Parameters<typeof greeting>[0]);
