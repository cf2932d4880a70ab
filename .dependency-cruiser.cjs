/** dependency-cruiser: no import cycles, and the visitor's bundle stays free of rebuild, viewer, console and server code. */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles (STYLE.md). Cycles made only of `import type` edges are allowed: verbatimModuleSyntax erases them, ' +
        'so they neither order module evaluation nor pull code into a bundle.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'sdk-stays-visitor-side',
      severity: 'error',
      comment: "The visitor's bundle (packages/sdk/src) must never carry server, viewer, console or rebuild code (STYLE.md).",
      from: { path: '^packages/sdk/src/' },
      to: {
        path: [
          '^packages/(server|viewer|console)/',
          '^packages/mirror/src/rebuild/',
          '^@tandem/(server|viewer|console)(/|$)',
          '^@tandem/mirror/(rebuild|warm)$',
        ],
      },
    },
    {
      name: 'browser-packages-without-schema',
      severity: 'error',
      comment:
        'The runtime schema (@tandem/protocol/schema, built on typebox) is for the server; browser packages use the plain types and guards. ' +
        'Matches the unresolved name too, so the rule holds before and after the entry point exists.',
      from: { path: '^packages/(sdk|mirror|viewer|console)/' },
      to: { path: ['^@tandem/protocol/schema(/|$)', '^packages/protocol/src/schema', '(^|/)node_modules/typebox/', '^typebox(/|$)'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '^test/corpus/', '^test-results/'] },
    // See `import type` edges too, so the cycle rule can tell them apart (they are marked type-only).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      // './x.js' resolving to ./x.ts (moduleResolution bundler) is built in.
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
