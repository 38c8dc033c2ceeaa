import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { KeysResponse, PlanResponse } from "../../functions/ops-api/wire.ts";
import { DAY } from "../../shared/kernel/clock.ts";
import type { RotationRecord } from "../../shared/operations/journal.ts";

type Key = KeysResponse["keys"][number];
type Phase = "pending" | "current" | "previous" | "retired";

/** The colour of each phase (text on them is never needed: the legend and the table say it). */
export const PHASE_COLOURS: Readonly<Record<Phase, string>> = {
  pending: "#7b52b9",
  current: "#22804a",
  previous: "#2f6db3",
  retired: "#8a939d",
};

interface Segment {
  readonly phase: Phase;
  readonly from: number;
  readonly to: number;
  readonly planned: boolean;
}

interface Row {
  readonly key: Key;
  readonly segments: readonly Segment[];
}

const WIDTH = 1000;
const LABEL = 190;
const ROW = 28;
const TOP = 22;
const AXIS = 30;
/** Keys shown at most: the newest; older ones are in the table below the chart. */
const MAX_ROWS = 8;

/**
 * Each key's phases through time: its past ones from its own timestamps, its planned ones from the
 * policy's plan (a previous key's retirement drawn over its whole window, earliest to latest),
 * emergencies and rollbacks from the journal marked on the axis, and a line at `now`.
 */
export function timelineSvg(
  keys: KeysResponse,
  plan: PlanResponse,
  rotations: readonly RotationRecord[],
  now: number,
  title: string,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const rows = keys.keys
    .filter(
      (key) => key.status !== "destroyed" || Date.parse(key.destroyedAt ?? "") > now - 90 * DAY,
    )
    .slice(-MAX_ROWS)
    .map((key) => ({ key, segments: segmentsOf(key, plan, now) }));
  const times = rows.flatMap((row) => row.segments.flatMap((s) => [s.from, s.to]));
  const from = Math.max(Math.min(now - 30 * DAY, ...times), now - 365 * DAY);
  const to = Math.min(Math.max(now + 30 * DAY, ...times), now + 365 * DAY);
  const x = (t: number) =>
    LABEL + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * (WIDTH - LABEL - 10);
  const height = TOP + rows.length * ROW + AXIS;
  const marks = rotations.filter(
    (r) => (r.trigger === "emergency" || r.trigger === "rollback") && !r.rolledBack,
  );
  const description = rows.map((row) => rowText(row)).join(" ");
  return html`<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="tl-title tl-desc">
<title id="tl-title">${title}</title>
<desc id="tl-desc">${description}</desc>
${rows.map((row, i) => {
  const y = TOP + i * ROW;
  return html`<g>
<text x="4" y="${y + 17}"><tspan class="kid">${row.key.kid.slice(0, 10)}…</tspan> ${row.key.status}${row.key.compromised ? " (compromised)" : ""}</text>
${row.segments.map(
  (s) =>
    html`<rect x="${x(s.from).toFixed(1)}" y="${y + 5}" width="${Math.max(2, x(s.to) - x(s.from)).toFixed(1)}" height="${ROW - 10}" fill="${PHASE_COLOURS[s.phase]}" fill-opacity="${s.planned ? 0.35 : 1}" stroke="${PHASE_COLOURS[s.phase]}"${s.planned ? html` stroke-dasharray="4 3"` : ""}><title>${s.phase}${s.planned ? " (planned)" : ""}: ${iso(s.from)} to ${iso(s.to)}</title></rect>`,
)}
${retirementWindow(row.key, x, y)}
${row.key.compromised ? html`<text x="${(x(now) + 6).toFixed(1)}" y="${y + 17}" fill="#a4161a">compromised</text>` : ""}
</g>`;
})}
${axis(from, to, x, TOP + rows.length * ROW)}
${marks.map((r) => {
  const at = Date.parse(r.activatedAt);
  const mx = x(at).toFixed(1);
  return html`<g><line x1="${mx}" x2="${mx}" y1="${TOP - 6}" y2="${TOP + rows.length * ROW}" stroke="#a4161a" stroke-width="2"/><text x="${(x(at) - 3).toFixed(1)}" y="12" text-anchor="end" fill="#a4161a">${r.trigger}</text></g>`;
})}
<line x1="${x(now).toFixed(1)}" x2="${x(now).toFixed(1)}" y1="${TOP - 6}" y2="${TOP + rows.length * ROW}" stroke="#1b1f24" stroke-dasharray="3 3"/>
<text x="${(x(now) + 3).toFixed(1)}" y="12">now</text>
</svg>`;
}

/**
 * Its phases: where each began by its own timestamps, else when the plan begins it (the current
 * key turns previous when the plan activates its successor), each ending where the next begins.
 * Past the last of them the key stays in its phase to the edge of the chart; what lies after
 * `now` is planned.
 */
function segmentsOf(key: Key, plan: PlanResponse, now: number): Segment[] {
  const t = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));
  const planned = (action: string) =>
    t(plan.transitions.find((p) => p.kid === key.kid && p.action === action)?.at);
  const successor = t(
    plan.transitions.find((p) => p.action === "activate" && p.kid !== key.kid)?.at,
  );
  const starts: [Phase | "destroyed", number | undefined][] = [
    ["pending", t(key.createdAt)],
    ["current", t(key.activatedAt) ?? (key.status === "pending" ? planned("activate") : undefined)],
    [
      "previous",
      t(key.deactivatedAt) ??
        (key.status === "current" && !key.compromised ? successor : undefined),
    ],
    ["retired", t(key.retiredAt) ?? planned("retire")],
    ["destroyed", t(key.destroyedAt) ?? planned("destroy")],
  ];
  const known = starts.filter((s): s is [Phase | "destroyed", number] => s[1] !== undefined);
  const segments: Segment[] = [];
  known.forEach(([phase, start], i) => {
    if (phase === "destroyed") return;
    const stop = known[i + 1]?.[1] ?? now + 365 * DAY;
    if (stop <= start) return;
    if (start < now && stop > now) {
      segments.push({ phase, from: start, to: now, planned: false });
      segments.push({ phase, from: now, to: stop, planned: true });
    } else segments.push({ phase, from: start, to: stop, planned: start >= now });
  });
  return segments;
}

/**
 * A previous key's retirement window, earliest to latest, under its bar: it retires inside it once
 * its share falls below the gate, at the latest at its end.
 */
function retirementWindow(key: Key, x: (t: number) => number, y: number) {
  if (key.next?.action !== "retire" || key.next.latest === undefined) return "";
  const from = x(Date.parse(key.next.earliest));
  const to = x(Date.parse(key.next.latest));
  return html`<line x1="${from.toFixed(1)}" x2="${to.toFixed(1)}" y1="${y + ROW - 3}" y2="${y + ROW - 3}" stroke="#1b1f24" stroke-width="2"><title>retirement window: ${key.next.earliest.slice(0, 16)} to ${key.next.latest.slice(0, 16)} (it retires once its share is below the gate, at the latest at the end)</title></line>`;
}

function axis(from: number, to: number, x: (t: number) => number, y: number) {
  const ticks: number[] = [];
  const start = new Date(from);
  const month = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)).getTime();
  const step = to - from > 200 * DAY ? 2 : 1;
  for (let m = month, i = 0; m < to; i++) {
    if (i % step === 0) ticks.push(m);
    const d = new Date(m);
    m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return html`<line x1="${LABEL}" x2="${WIDTH - 10}" y1="${y + 2}" y2="${y + 2}" stroke="#4a5360"/>
${ticks.map(
  (m) =>
    html`<text x="${x(m).toFixed(1)}" y="${y + 18}" text-anchor="middle">${new Date(m).toISOString().slice(0, 7)}</text>`,
)}`;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

function rowText(row: Row): string {
  const phases = row.segments
    .map((s) => `${s.phase}${s.planned ? " (planned)" : ""} ${iso(s.from)} to ${iso(s.to)}`)
    .join(", ");
  return `Key ${row.key.kid}, ${row.key.status}${row.key.compromised ? ", compromised" : ""}: ${phases}.`;
}
