#!/usr/bin/env node
// Draws Porthole's icons as SVG and renders them to the PNGs in assets/ (committed, so a build
// needs no browser): the tray icons for each state (idle / active / error) on light and dark
// panels at 1x and 2x, and the 512 px application icon electron-builder derives the others from.
// Run it again after changing a drawing: `node scripts/make-icons.js` (needs Chromium; set
// CHROMIUM=/path/to/chrome when it is not /usr/bin/chromium).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = join(root, 'assets');

/** State colours: grey for idle, green for active, red for error (also told apart by shape). */
const STATE_FILL = { idle: '#8b929c', active: '#1fa45a', error: '#e5484d' };
/** The ring: dark on light panels, light on dark panels. */
const RING = { light: '#2b3138', dark: '#eef1f4' };

/**
 * A 16-unit porthole: a thick ring (the frame), the glass in the state's colour. Active adds a
 * glint, error a white bar across the glass, idle leaves the glass hollow, so the states differ in
 * shape as well as colour.
 */
function traySvg(state, panel, size) {
  const ring = RING[panel];
  const fill = STATE_FILL[state];
  const glass = {
    idle: `<circle cx="8" cy="8" r="3.1" fill="none" stroke="${fill}" stroke-width="1.6"/>`,
    active: `<circle cx="8" cy="8" r="3.9" fill="${fill}"/><path d="M5.9 7.1 A2.4 2.4 0 0 1 7.4 5.7" fill="none" stroke="#ffffff" stroke-width="1.1" stroke-linecap="round" opacity="0.9"/>`,
    error: `<circle cx="8" cy="8" r="3.9" fill="${fill}"/><rect x="5.6" y="7.25" width="4.8" height="1.5" rx="0.5" fill="#ffffff"/>`,
  }[state];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 16 16">
  <circle cx="8" cy="8" r="6.6" fill="none" stroke="${ring}" stroke-width="2"/>
  ${glass}
</svg>`;
}

/** The application icon: a brass porthole on a night-blue tile, sea and sky in the glass, an arrow out. */
function appIconSvg() {
  const bolts = Array.from({ length: 8 }, (_, index) => {
    const angle = (index * Math.PI) / 4 + Math.PI / 8;
    const x = 256 + Math.cos(angle) * 168;
    const y = 256 + Math.sin(angle) * 168;
    return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="13" fill="#7a5a1c"/><circle cx="${(x - 3).toFixed(1)}" cy="${(y - 3).toFixed(1)}" r="7" fill="#f3d27a"/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <defs>
    <linearGradient id="tile" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1d2a44"/><stop offset="1" stop-color="#0d1424"/></linearGradient>
    <linearGradient id="brass" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f1cf74"/><stop offset="0.5" stop-color="#c8952f"/><stop offset="1" stop-color="#8a6219"/></linearGradient>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#7fd3f7"/><stop offset="0.55" stop-color="#2f8fd0"/><stop offset="0.56" stop-color="#1a5f9e"/><stop offset="1" stop-color="#0e3a6b"/></linearGradient>
    <clipPath id="glass"><circle cx="256" cy="256" r="132"/></clipPath>
  </defs>
  <rect x="16" y="16" width="480" height="480" rx="108" fill="url(#tile)"/>
  <circle cx="256" cy="256" r="200" fill="url(#brass)"/>
  <circle cx="256" cy="256" r="200" fill="none" stroke="#5e4212" stroke-width="6"/>
  ${bolts}
  <circle cx="256" cy="256" r="142" fill="#5e4212"/>
  <circle cx="256" cy="256" r="132" fill="url(#sky)"/>
  <g clip-path="url(#glass)">
    <path d="M120 300 Q180 285 240 300 T360 300 T480 300 V420 H120 Z" fill="#0b2f57" opacity="0.55"/>
    <path d="M180 150 A110 110 0 0 1 300 132" fill="none" stroke="#ffffff" stroke-width="14" stroke-linecap="round" opacity="0.55"/>
  </g>
  <g fill="none" stroke="#ffffff" stroke-width="26" stroke-linecap="round" stroke-linejoin="round">
    <path d="M214 298 L300 212"/>
    <path d="M236 208 H304 V276"/>
  </g>
</svg>`;
}

async function render(page, svg, size, file) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const png = await page.locator('svg').screenshot({ omitBackground: true });
  await writeFile(join(assets, file), png);
  return file;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  await mkdir(assets, { recursive: true });
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  const written = [];
  for (const state of Object.keys(STATE_FILL)) {
    for (const panel of Object.keys(RING)) {
      written.push(await render(page, traySvg(state, panel, 16), 16, `tray-${state}-${panel}.png`));
      written.push(await render(page, traySvg(state, panel, 32), 32, `tray-${state}-${panel}@2x.png`));
    }
  }
  written.push(await render(page, appIconSvg(), 512, 'icon.png'));
  await writeFile(join(assets, 'icon.svg'), `${appIconSvg()}\n`);
  console.log(`make-icons: wrote ${written.length} PNGs to assets/: ${written.join(', ')}`);
} finally {
  await browser.close();
}
