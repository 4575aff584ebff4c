/**
 * Small, dependency-free SVG charts for the bench report: a latency histogram, per-stage stacked
 * bars and latency over time. Every text is XML-escaped; every number is finite (NaN → 0).
 */

const W = 720;
const H = 360;
const M = { left: 64, right: 150, top: 36, bottom: 48 };
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

const num = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 100) / 100) : "0");

/** A "nice" axis maximum ≥ max (1, 2, 2.5 or 5 × a power of ten) and its tick step. */
export function niceAxis(max: number, ticks = 5): { max: number; step: number } {
  if (!Number.isFinite(max) || max <= 0) return { max: 1, step: 0.2 };
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

function frame(title: string, body: string[], xLabel: string, yLabel: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    ...body,
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="14" y="${M.top + (H - M.top - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})">${escapeXml(yLabel)}</text>`,
    `</svg>`,
    "",
  ].join("\n");
}

type Scale = (v: number) => number;

function yAxis(maxY: number, step: number, y: Scale): string[] {
  const out = [`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`];
  for (let v = 0; v <= maxY + step / 2; v += step) {
    out.push(`<line x1="${M.left - 4}" y1="${num(y(v))}" x2="${W - M.right}" y2="${num(y(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${num(y(v) + 4)}" text-anchor="end">${escapeXml(num(v))}</text>`);
  }
  return out;
}

function xAxis(maxX: number, step: number, x: Scale): string[] {
  const out = [`<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`];
  for (let v = 0; v <= maxX + step / 2; v += step) {
    out.push(`<line x1="${num(x(v))}" y1="${H - M.bottom}" x2="${num(x(v))}" y2="${H - M.bottom + 4}" stroke="#333"/>`);
    out.push(`<text x="${num(x(v))}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(num(v))}</text>`);
  }
  return out;
}

function legend(entries: { name: string; color: string; dashed?: boolean }[]): string[] {
  return entries.flatMap((e, i) => {
    const y = M.top + 8 + i * 16;
    const x = W - M.right + 12;
    return [
      `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${e.color}" stroke-width="6"${e.dashed ? ` stroke-dasharray="3 2"` : ""}/>`,
      `<text x="${x + 24}" y="${y + 4}">${escapeXml(e.name)}</text>`,
    ];
  });
}

function thresholdLinesX(thresholds: readonly number[], maxX: number, x: Scale): string[] {
  return thresholds
    .filter((t) => t <= maxX)
    .flatMap((t) => [
      `<line x1="${num(x(t))}" y1="${M.top}" x2="${num(x(t))}" y2="${H - M.bottom}" stroke="#c00" stroke-dasharray="4 3"/>`,
      `<text x="${num(x(t) + 3)}" y="${M.top + 10}" fill="#c00">${escapeXml(`${t} ms`)}</text>`,
    ]);
}

/** Histogram of latency samples (ms) in `bins` equal bins from 0 to the axis maximum, with deadline lines. */
export function histogramSvg(
  samples: readonly number[],
  options: { title: string; bins?: number; thresholdsMs?: readonly number[] },
): string {
  const bins = Math.max(1, options.bins ?? 40);
  const maxV = samples.reduce((a, b) => Math.max(a, b), 0);
  const ax = niceAxis(Math.max(maxV, ...(options.thresholdsMs ?? []).map((t) => t * 1.05)));
  const width = ax.max / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of samples) counts[Math.min(bins - 1, Math.max(0, Math.floor(v / width)))]!++;
  const ay = niceAxis(Math.max(1, ...counts));
  const x: Scale = (v) => M.left + (v / ax.max) * (W - M.left - M.right);
  const y: Scale = (v) => H - M.bottom - (v / ay.max) * (H - M.top - M.bottom);
  const bars = counts.map(
    (c, i) =>
      `<rect x="${num(x(i * width))}" y="${num(y(c))}" width="${num(Math.max(0.5, x(width) - x(0) - 1))}" height="${num(y(0) - y(c))}" fill="${PALETTE[0]}"/>`,
  );
  const body = [
    ...yAxis(ay.max, ay.step, y),
    ...xAxis(ax.max, ax.step, x),
    ...bars,
    ...thresholdLinesX(options.thresholdsMs ?? [], ax.max, x),
  ];
  body.push(...legend([{ name: `${samples.length} samples`, color: PALETTE[0]! }]));
  return frame(options.title, body, "latency (ms)", "samples");
}

/** One horizontal bar per row, its segments stacked (e.g. p50 ms per stage, per scenario). */
export function stackedBarsSvg(
  rows: readonly { label: string; segments: readonly { name: string; valueMs: number }[] }[],
  options: { title: string; xLabel?: string },
): string {
  const names = [...new Set(rows.flatMap((r) => r.segments.map((s) => s.name)))];
  const color = (name: string): string => PALETTE[names.indexOf(name) % PALETTE.length]!;
  const total = (r: (typeof rows)[number]): number =>
    r.segments.reduce((a, s) => a + Math.max(0, Number.isFinite(s.valueMs) ? s.valueMs : 0), 0);
  const ax = niceAxis(Math.max(0, ...rows.map(total)));
  const x: Scale = (v) => M.left + 40 + (v / ax.max) * (W - M.left - 40 - M.right);
  const band = (H - M.top - M.bottom) / Math.max(1, rows.length);
  const body: string[] = [`<line x1="${M.left + 40}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`];
  for (let v = 0; v <= ax.max + ax.step / 2; v += ax.step) {
    body.push(`<line x1="${num(x(v))}" y1="${M.top}" x2="${num(x(v))}" y2="${H - M.bottom + 4}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${num(x(v))}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(num(v))}</text>`);
  }
  rows.forEach((r, i) => {
    const y0 = M.top + i * band + band * 0.15;
    const h = band * 0.7;
    body.push(`<text x="${M.left + 34}" y="${num(y0 + h / 2 + 4)}" text-anchor="end">${escapeXml(r.label)}</text>`);
    let acc = 0;
    for (const s of r.segments) {
      const v = Math.max(0, Number.isFinite(s.valueMs) ? s.valueMs : 0);
      body.push(
        `<rect x="${num(x(acc))}" y="${num(y0)}" width="${num(x(acc + v) - x(acc))}" height="${num(h)}" fill="${color(s.name)}"><title>${escapeXml(`${r.label} ${s.name}: ${num(v)} ms`)}</title></rect>`,
      );
      acc += v;
    }
  });
  body.push(...legend(names.map((n) => ({ name: n, color: color(n) }))));
  return frame(options.title, body, options.xLabel ?? "ms per tick", "");
}

/** Lines of (x, y) points, e.g. worst e2e latency per tick over run time, with deadline lines. */
export function timeSeriesSvg(
  series: readonly { name: string; points: readonly (readonly [number, number])[] }[],
  options: { title: string; xLabel: string; yLabel: string; thresholdsMs?: readonly number[] },
): string {
  const all = series.flatMap((s) => s.points);
  const ax = niceAxis(Math.max(0, ...all.map((p) => p[0])));
  const ay = niceAxis(Math.max(0, ...all.map((p) => p[1]), ...(options.thresholdsMs ?? []).map((t) => t * 1.05)));
  const x: Scale = (v) => M.left + (v / ax.max) * (W - M.left - M.right);
  const y: Scale = (v) => H - M.bottom - (v / ay.max) * (H - M.top - M.bottom);
  const body = [...yAxis(ay.max, ay.step, y), ...xAxis(ax.max, ax.step, x)];
  for (const t of options.thresholdsMs ?? []) {
    body.push(`<line x1="${M.left}" y1="${num(y(t))}" x2="${W - M.right}" y2="${num(y(t))}" stroke="#c00" stroke-dasharray="4 3"/>`);
    body.push(`<text x="${W - M.right - 4}" y="${num(y(t) - 3)}" text-anchor="end" fill="#c00">${escapeXml(`${t} ms`)}</text>`);
  }
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, k) => `${k === 0 ? "M" : "L"}${num(x(p[0]))} ${num(y(p[1]))}`).join(" ");
    body.push(`<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5"/>`);
  });
  body.push(...legend(series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]! }))));
  return frame(options.title, body, options.xLabel, options.yLabel);
}
