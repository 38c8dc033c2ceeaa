import { writeReport } from "../console/report.ts";
import { EXIT } from "./client.ts";

/** `--html FILE`: writes the page `report` makes, says where, and prints nothing else. */
export async function writeHtml(path: string, report: Promise<string>): Promise<number> {
  await writeReport(path, await report);
  console.log(`wrote ${path}`);
  return EXIT.ok;
}
