import { escapeXml, histogramSvg, niceAxis, stackedBarsSvg, timeSeriesSvg } from "./svg";
import { parseXml } from "./wellFormedXml";

describe("parseXml (the well-formedness check the SVG tests rely on)", () => {
  it("accepts well-formed XML and outlines it", () => {
    const o = parseXml(`<?xml version="1.0"?><svg a="1"><g><rect x='1'/><text>a &amp; b &#60;</text></g><!-- c --></svg>`);
    expect(o.root).toBe("svg");
    expect(o.counts).toEqual({ svg: 1, g: 1, rect: 1, text: 1 });
  });

  it.each([
    ["<svg><g></svg>", /<\/svg> closes <g>/],
    ["<svg>", /<svg> not closed/],
    ["<svg a=1/>", /quoted value/],
    ['<svg a="1" a="2"/>', /attribute a repeated/],
    ["<svg>a & b</svg>", /bare '&'/],
    ['<svg a="x<y"/>', /bare '<'/],
    ["<svg/><svg/>", /second root/],
    ["", /no root element/],
  ])("rejects %j", (text, message) => {
    expect(() => parseXml(text)).toThrow(message);
  });
});

describe("SVG charts", () => {
  it("escapes XML text", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });

  it("picks nice axis maxima", () => {
    expect(niceAxis(93)).toEqual({ max: 100, step: 20 });
    expect(niceAxis(1.2)).toEqual({ max: 1.25, step: 0.25 });
    expect(niceAxis(0)).toEqual({ max: 1, step: 0.2 });
    expect(niceAxis(Number.NaN)).toEqual({ max: 1, step: 0.2 });
  });

  it("draws a histogram with one bar per bin, the samples in the right bins, and the deadline lines", () => {
    const svg = histogramSvg([5, 15, 15, 95], { title: "e2e <nominal> & more", bins: 10, thresholdsMs: [50] });
    const o = parseXml(svg);
    expect(o.root).toBe("svg");
    // 10 bars + the background.
    expect(o.counts.rect).toBe(11);
    expect(svg).toContain("e2e &lt;nominal&gt; &amp; more");
    expect(svg).toContain(">50 ms<");
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    // Axis 0..100 in 10 bins of 10 ms: counts 1, 2, 0, ..., 0, 1 → heights proportional to the counts.
    const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#4e79a7"\/>/g)].map((m) =>
      Number(m[1]),
    );
    expect(heights).toHaveLength(10);
    expect(heights[1]).toBeCloseTo(2 * heights[0]!, 1);
    expect(heights[9]).toBeCloseTo(heights[0]!, 1);
    expect(heights.slice(2, 9).every((h) => h === 0)).toBe(true);
  });

  it("stacks the segments of each row, widths proportional to the values", () => {
    const svg = stackedBarsSvg(
      [
        {
          label: "nominal",
          segments: [
            { name: "decode", valueMs: 10 },
            { name: "encode", valueMs: 30 },
          ],
        },
        {
          label: "fog",
          segments: [
            { name: "decode", valueMs: 20 },
            { name: "encode", valueMs: Number.NaN },
          ],
        },
      ],
      { title: "stages" },
    );
    const o = parseXml(svg);
    expect(o.counts.rect).toBe(5);
    expect(o.counts.title).toBe(4);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="[^"]+"><title>/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths[1]! / widths[0]!).toBeCloseTo(3, 1);
    expect(widths[2]! / widths[0]!).toBeCloseTo(2, 1);
    expect(widths[3]).toBe(0);
    expect(svg).not.toMatch(/NaN/);
  });

  it("draws one path per non-empty series, with threshold lines", () => {
    const svg = timeSeriesSvg(
      [
        {
          name: "a",
          points: [
            [0, 10],
            [1, 20],
            [2, 15],
          ],
        },
        { name: "b", points: [] },
      ],
      { title: "over time", xLabel: "s", yLabel: "ms", thresholdsMs: [50, 100] },
    );
    const o = parseXml(svg);
    expect(o.counts.path).toBe(1);
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+"/);
    expect(svg).toContain(">100 ms<");
  });
});
