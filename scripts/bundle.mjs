// Bundles the CLI into one file: Node's ESM loader otherwise reads a few hundred small module
// files at every start (~200 ms of each `lablb` command). The TUI's ink and react stay
// external and load only when the TUI runs. Agents stay as compiled files (node builtins only).
// Built straight from src/ with linked source maps, so coverage and --debug stack traces point
// at the TypeScript lines (tsc has type-checked them already).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

// zod's namespace re-exports its messages in 64 languages (360 KB, a third of what every
// command compiles at start); lablb speaks English, which zod sets up from its own file.
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), args.path), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

// Chunks are named by content hash: clear the last build's, or they pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { lablb: 'src/cli.ts' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Each verb's modules stay a chunk of their own, loaded when that verb runs.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  jsx: 'automatic',
  sourcemap: 'linked',
  // dockerode (and ssh2 beneath it) loads native addons when present: it stays in node_modules.
  external: ['ink', 'react', 'react/jsx-runtime', 'ink-testing-library', 'dockerode'],
  // Some dependencies are CommonJS and call require().
  banner: { js: "import { createRequire as __lablbRequire } from 'node:module'; const require = __lablbRequire(import.meta.url);" },
  plugins: [englishOnly],
  logLevel: 'warning',
});
