// Builds the browser bundles with esbuild. Node code runs from TypeScript
// sources through tsx, so only what a browser loads is built here.
import { build, transform } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * A template literal marked `/* css *\/` (a stylesheet in a TypeScript source, kept readable there) goes into
 * the bundle minified by esbuild's CSS minifier: in the visitor's session bundle every byte counts against
 * its budget. Only plain templates, without `${}`: a marked one with a substitution fails the build.
 */
const minifyMarkedCss = {
  name: 'minify-marked-css',
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/]sdk[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('/* css */')) return undefined;
      let out = '';
      let at = 0;
      for (const m of source.matchAll(/\/\* css \*\/\s*`([^`]*)`/g)) {
        if (m[1].includes('${')) throw new Error(`${args.path}: a /* css */ template must not substitute`);
        const { code } = await transform(m[1], { loader: 'css', minify: true });
        out += source.slice(at, m.index) + JSON.stringify(code.trim());
        at = m.index + m[0].length;
      }
      return { contents: out + source.slice(at), loader: 'ts' };
    });
  },
};

const common = {
  bundle: true,
  // TANDEM_UNMINIFIED=1: readable bundles with the sources' names, for profiles (bench:mirror --trace-visitor). Never shipped.
  minify: process.env.TANDEM_UNMINIFIED !== '1',
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  legalComments: 'none',
  logLevel: 'warning',
  // Debug logging never reaches a browser bundle.
  drop: ['debugger'],
  pure: ['console.debug'],
  plugins: [minifyMarkedCss],
};

/**
 * Class fields assigned in the constructor ([[Set]]), as TypeScript did before ES2022: with [[Define]] esbuild keeps
 * a declaration for every field and constructor parameter property besides its assignment (\`ids;masker;hooks;\` after
 * \`this.ids=e;…\`), bytes the session bundle's budget pays for. No class in it extends another (but an Error) or has
 * a field an accessor of a base class would see.
 */
const SET_FIELDS = { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: true } };

const bundles = [
  // The loader every page of the site carries: budget 3 KB gzipped.
  { entryPoints: ['packages/sdk/src/loader/index.ts'], outfile: 'packages/sdk/dist/tandem.js' },
  // Loaded only when a session starts: consent, UI, transport and capture. Budget 25 KB gzipped.
  { entryPoints: ['packages/sdk/src/session/index.ts'], outfile: 'packages/sdk/dist/tandem-session.js', tsconfigRaw: SET_FIELDS },
  // The session's compression worker (fflate's deflate), fetched and started from a blob: URL once a session starts. Budget 6 KB gzipped.
  { entryPoints: ['packages/sdk/src/compress/worker.ts'], outfile: 'packages/sdk/dist/tandem-compress.js' },
  // The agent console and the standalone watch page.
  { entryPoints: ['packages/console/src/main.tsx'], outfile: 'packages/console/dist/console.js', jsx: 'automatic', jsxImportSource: 'preact' },
  { entryPoints: ['packages/viewer/src/watch-page.ts'], outfile: 'packages/viewer/dist/watch.js' },
  // <tandem-viewer>: the custom element agent desktops put on their pages (it frames the watch page).
  { entryPoints: ['packages/viewer/src/element.ts'], outfile: 'packages/viewer/dist/tandem-viewer.js' },
];

for (const dir of ['packages/sdk/dist', 'packages/console/dist', 'packages/viewer/dist']) mkdirSync(dir, { recursive: true });
const started = Date.now();
await Promise.all(bundles.map((b) => build({ ...common, ...b })));
console.log(`built ${bundles.length} browser bundles in ${Date.now() - started} ms`);
