/**
 * Node built-ins, loaded only when running under Node: the package must import cleanly in a browser, where
 * file-system features (checkpoint files, the bundled MNIST digits) are unavailable and say so when used.
 */
import type * as Fs from 'node:fs';
import type * as Path from 'node:path';
import type * as Crypto from 'node:crypto';
import type * as NodeModule from 'node:module';

export const isNode = typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';

export interface NodeBuiltins {
  fs: typeof Fs;
  path: typeof Path;
  crypto: typeof Crypto;
  module: typeof NodeModule;
}

const builtins: NodeBuiltins | null = isNode
  ? { fs: await import('node:fs'), path: await import('node:path'), crypto: await import('node:crypto'), module: await import('node:module') }
  : null;

/** The Node built-ins, or an error naming the feature that needs them. */
export function requireNode(feature: string, browserHint = ''): NodeBuiltins {
  if (!builtins) throw new Error(`${feature} needs Node.js (file-system access)${browserHint ? `; in a browser, ${browserHint}` : ''}`);
  return builtins;
}
