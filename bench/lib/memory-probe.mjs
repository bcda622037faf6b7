// Preloaded into a measured CLI process (`node --import bench/lib/memory-probe.mjs`) when
// BENCH_MEMORY_PROBE names a file: samples process.memoryUsage() every 10 ms and writes, at exit, the peak
// of each part (RSS, V8 heap used and total, external, array buffers), so a peak RSS can be split into
// where it goes. Bench-only: the product never loads it.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MEMORY_PROBE;
if (file) {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  let atRssPeak = { ...peak };
  const sample = () => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], usage[key]);
    if (usage.rss >= atRssPeak.rss) atRssPeak = { ...usage };
  };
  const timer = setInterval(sample, 10);
  timer.unref();
  process.on('exit', () => {
    sample();
    const mib = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +(v / 2 ** 20).toFixed(1)]));
    writeFileSync(file, JSON.stringify({ peak: mib(peak), atRssPeak: mib(atRssPeak) }));
  });
}
