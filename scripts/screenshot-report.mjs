#!/usr/bin/env node
// A run report's picture, as the README shows it: the page opened in Debian's chromium
// (headless, through playwright-core), drawn, and photographed whole.
//   node scripts/screenshot-report.mjs run.html docs/report.png
import { chromium } from 'playwright-core';

const [page, png] = process.argv.slice(2);
if (!page || !png) {
  console.error('usage: node scripts/screenshot-report.mjs REPORT.html OUT.png');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await tab.goto(`file://${new URL(page, `file://${process.cwd()}/`).pathname}`);
  await tab.waitForSelector('body[data-drawn]');
  await tab.screenshot({ path: png, fullPage: true });
} finally {
  await browser.close();
}
