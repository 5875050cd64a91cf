// The import rules of docs/architecture.md, checked by `npm run lint` (dependency-cruiser).
// Test code (suites, contract suites, fixtures, test helpers) may cross layers, but never in a
// cycle, and production code never imports it.
const testCode = ['\\.test\\.ts$', '\\.contract\\.ts$', '^src/testing/', '^src/integration/', '/fixtures/', '/test-[^/]+\\.ts$']
const features = '(tracking|registry|deploy|pipeline|monitor|ui)'
const storeBackends = '^src/store/(sqlite|postgres|fs|s3|azure)/'

/** `from` (production code in `folder`) may import only what `allowed` matches, besides itself. */
const onlyImports = (name, folder, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/${folder}/`, pathNot: testCode },
  to: { path: '^src/', pathNot: [`^src/${folder}/`, ...allowed] },
})
const leaves = '^src/[^/]+\\.ts$'

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles, in production or test code.', from: {}, to: { circular: true } },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment: 'Production code never imports suites, fixtures or test helpers.',
      from: { path: '^src/', pathNot: testCode },
      to: { path: testCode },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'cli/ is the top: nothing imports it.',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'only-cli-imports-server',
      severity: 'error',
      comment: 'server/ is the composition root: only the commands (and tests) import it.',
      from: { path: '^src/', pathNot: ['^src/(cli|server)/', ...testCode] },
      to: { path: '^src/server/' },
    },
    {
      name: 'routes-only-from-server',
      severity: 'error',
      comment: "A feature's route modules are mounted by server/ and imported by nothing else outside the feature.",
      from: { path: '^src/([^/]+)/', pathNot: ['^src/server/', ...testCode] },
      to: { path: `^src/${features}/[^/]*-routes?\\.ts$`, pathNot: '^src/$1/' },
    },
    {
      name: 'index-does-not-export-routes',
      severity: 'error',
      comment: 'Feature index files export services and types, never routes.',
      from: { path: '/index\\.ts$' },
      to: { path: '-routes?\\.ts$' },
    },
    {
      name: 'store-implementations-from-server',
      severity: 'error',
      comment: 'Only server/ picks a store implementation; features get stores through interfaces.',
      from: { path: '^src/', pathNot: ['^src/server/', storeBackends, ...testCode] },
      to: { path: storeBackends },
    },
    {
      name: 'drivers-in-their-store',
      severity: 'error',
      comment: 'A database driver is imported only inside its own store folder.',
      from: { pathNot: ['^src/store/sqlite/'] },
      to: { path: 'node_modules/(@types/)?better-sqlite3/' },
    },
    {
      name: 'pg-in-its-store',
      severity: 'error',
      comment: 'The PostgreSQL driver is imported only by the PostgreSQL stores (and the tests that make their databases).',
      from: { pathNot: ['^src/store/postgres/', ...testCode] },
      to: { path: 'node_modules/(@types/)?pg/' },
    },
    {
      name: 'cloud-sdks-in-their-store',
      severity: 'error',
      comment: 'The S3 and Azure SDKs are imported only by their artifact stores (and the tests that make buckets).',
      from: { pathNot: ['^src/store/s3/', ...testCode] },
      to: { path: 'node_modules/@aws-sdk/' },
    },
    {
      name: 'azure-sdk-in-its-store',
      severity: 'error',
      comment: 'The Azure Blob SDK is imported only by the Azure artifact store (and the tests that make containers).',
      from: { pathNot: ['^src/store/azure/', ...testCode] },
      to: { path: 'node_modules/@azure/' },
    },
    {
      name: 'leaves-import-leaves',
      severity: 'error',
      comment: 'errors, config, logger, version, app-paths, percent-decode import no folder of src/.',
      from: { path: leaves, pathNot: testCode },
      to: { path: '^src/', pathNot: leaves },
    },
    onlyImports('http-is-a-leaf', 'http', [leaves], 'http/ imports only the leaves.'),
    onlyImports('client-is-a-leaf', 'client', [], 'client/ imports nothing else in src/.'),
    onlyImports('models-are-below-serving', 'models', [leaves], 'models/ imports only the leaves.'),
    onlyImports('train-uses-models-and-client', 'train', [leaves, '^src/(models|client)/'], 'train/: models, client and the leaves.'),
    onlyImports(
      'serving-is-below-features',
      'serving',
      [leaves, '^src/(models|client|http)/', '^src/store/artifact-path\\.ts$'],
      'serving/: models, client, http, artifact paths and the leaves.',
    ),
    onlyImports(
      'store-is-below-features',
      'store',
      [leaves, `^src/${features}/entities\\.ts$`, '^src/tracking/search/filter-ast\\.ts$', '^src/registry/event-filter\\.ts$'],
      "store/: the leaves and the features' domain types.",
    ),
    onlyImports('tracking-first', 'tracking', [leaves, '^src/(store|http|client|models)/'], 'tracking/ uses no other feature.'),
    onlyImports('registry-after-tracking', 'registry', [leaves, '^src/(tracking|store|http|client|models)/'], 'registry/ may use tracking/.'),
    onlyImports(
      'deploy-after-registry',
      'deploy',
      [leaves, '^src/(tracking|registry|serving|store|http|client|models)/'],
      'deploy/ may use registry/ and tracking/.',
    ),
    onlyImports(
      'pipeline-after-deploy',
      'pipeline',
      [leaves, '^src/(tracking|registry|deploy|serving|train|store|http|client|models)/'],
      'pipeline/ may use deploy/, registry/ and tracking/.',
    ),
    onlyImports(
      'monitor-after-pipeline',
      'monitor',
      [leaves, '^src/(tracking|registry|deploy|pipeline|serving|store|http|client|models)/'],
      'monitor/ may use the features before it.',
    ),
    onlyImports('ui-last', 'ui', [leaves, '^src/(tracking|registry|deploy|pipeline|monitor|serving|store|http|client|models)/'], 'ui/ may use every feature.'),
    onlyImports('testing-uses-http', 'testing', [leaves, '^src/http/'], 'The fixtures module needs only http/free-port.ts.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
  },
}
