/**
 * StrykerJS ignorer 'nabla-op-cases': leaves the `cases` of every `defineOp({...})` record unmutated.
 * Those rows are the op test table's inputs (shapes, domains, labels, the PyTorch expression of the system
 * test), which test/op_records.ts turns into gradcheck/forward/layout tests: a mutant there changes a test,
 * not nabla. Stryker reports such mutants as Ignored, outside the score. Without this each of them, being
 * made when the module loads, would also run every test file.
 */
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

export class OpCasesIgnorer {
  shouldIgnore(path) {
    const { node } = path;
    if (node.type !== 'ObjectProperty' || node.computed || (node.key.name ?? node.key.value) !== 'cases') return undefined;
    const call = path.parentPath?.parentPath?.node;
    if (call?.type === 'CallExpression' && call.callee.type === 'Identifier' && call.callee.name === 'defineOp') {
      return 'an op record\'s test cases (test data, not nabla)';
    }
    return undefined;
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Ignore, 'nabla-op-cases', OpCasesIgnorer)];
