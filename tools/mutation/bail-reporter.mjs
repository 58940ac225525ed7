/**
 * node:test reporter for mutant runs: prints the first failing test (name and error) and exits 1 at once,
 * so a killed mutant costs only the tests up to its first failure. Passing tests print nothing.
 *   node --test-reporter=./tools/mutation/bail-reporter.mjs tools/mutation/run-tests.mjs io
 */
export default async function* bail(source) {
  for await (const event of source) {
    if (event.type === 'test:fail') {
      const err = event.data.details?.error;
      process.stderr.write(`not ok ${event.data.name}\n  ${String(err?.cause?.message ?? err?.message ?? err).split('\n').slice(0, 6).join('\n  ')}\n`);
      process.exit(1);
    }
  }
}
