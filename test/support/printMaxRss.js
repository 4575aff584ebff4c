// Preloaded into a child `avfusion` by tests that bound its memory (test/mcapBomb.test.ts): at exit
// it writes the process's peak resident set size to stderr as one line, `maxrss N MiB`.
process.on("exit", () => process.stderr.write(`maxrss ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`));
