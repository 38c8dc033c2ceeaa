import { html } from "hono/html";
import type { KeysResponse, UsageResponse } from "../../functions/ops-api/wire.ts";

/** A colour per key, in the keyring's order (a key keeps its colour while the keyring holds it). */
const KEY_COLOURS = ["#2f6db3", "#22804a", "#b35c00", "#7b52b9", "#a4161a", "#0f7c80", "#5a5f66"];

export const keyColour = (index: number): string =>
  KEY_COLOURS[index % KEY_COLOURS.length] as string;

const WIDTH = 1000;
const HEIGHT = 220;
const LEFT = 48;
const BOTTOM = 28;

/**
 * Each key's share of every hour's verifications over the last day, stacked to 100 %, with the
 * retirement gate's line (a previous key retires once its share of the day is below the policy's
 * share, 5 % by default). An hour without verifications is left empty.
 */
export function shareSvg(keys: KeysResponse, usage: UsageResponse, title: string) {
  const gatePercent = Math.round(keys.retireBelowShare * 1000) / 10;
  const kids = keys.keys.map((key) => key.kid);
  const hours = usage.hours;
  const slot = (WIDTH - LEFT - 10) / Math.max(1, hours.length);
  const plotHeight = HEIGHT - BOTTOM - 10;
  const y = (share: number) => 10 + plotHeight * (1 - share);
  const description = shareText(kids, usage);
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="sh-title sh-desc">
<title id="sh-title">${title}</title>
<desc id="sh-desc">${description}</desc>
${[0, 0.25, 0.5, 0.75, 1].map(
  (s) =>
    html`<line x1="${LEFT}" x2="${WIDTH - 10}" y1="${y(s).toFixed(1)}" y2="${y(s).toFixed(1)}" stroke="#c9d1d9"/><text x="${LEFT - 6}" y="${(y(s) + 4).toFixed(1)}" text-anchor="end">${Math.round(s * 100)} %</text>`,
)}
${hours.map((hour, i) => {
  const total = kids.reduce((sum, kid) => sum + (hour.verified[kid] ?? 0), 0);
  const x = LEFT + i * slot + 1;
  let stacked = 0;
  return html`<g>${
    total === 0
      ? ""
      : kids.map((kid, k) => {
          const share = (hour.verified[kid] ?? 0) / total;
          if (share === 0) return "";
          const top = y(stacked + share);
          const bar = html`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(slot - 2).toFixed(1)}" height="${(y(stacked) - top).toFixed(1)}" fill="${keyColour(k)}"><title>${kid}: ${(share * 100).toFixed(1)} % of ${total} at ${hour.from.slice(11, 16)}</title></rect>`;
          stacked += share;
          return bar;
        })
  }${i % 4 === 0 ? html`<text x="${(x + slot / 2).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle">${hour.from.slice(11, 16)}</text>` : ""}</g>`;
})}
<line x1="${LEFT}" x2="${WIDTH - 10}" y1="${y(gatePercent / 100).toFixed(1)}" y2="${y(gatePercent / 100).toFixed(1)}" stroke="#a4161a" stroke-width="2" stroke-dasharray="6 4"/>
<text x="${WIDTH - 12}" y="${(y(gatePercent / 100) - 5).toFixed(1)}" text-anchor="end" fill="#a4161a">${gatePercent} %: a previous key retires below this share</text>
</svg>`;
}

/** The chart in words: each key's share of the whole day. */
function shareText(kids: readonly string[], usage: UsageResponse): string {
  const totals = kids.map((kid) => usage.hours.reduce((sum, h) => sum + (h.verified[kid] ?? 0), 0));
  const all = totals.reduce((a, b) => a + b, 0);
  if (all === 0) return "No verification was counted in the last 24 hours.";
  return `Over the last 24 hours: ${kids
    .map((kid, i) => `${kid} ${(((totals[i] ?? 0) / all) * 100).toFixed(1)} % (${totals[i]})`)
    .join(", ")}.`;
}
