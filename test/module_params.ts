/**
 * Test helper: run a module with its parameters temporarily replaced by given tensors (PyTorch's
 * torch.func.functional_call), so gradcheck can differentiate a module with respect to its weights.
 */
import * as nb from '../src/index.js';

export function withParams<T>(m: nb.nn.Module, values: nb.Tensor[], fn: () => T): T {
  const named = m.namedParameters();
  if (values.length !== named.length) throw new Error(`withParams: ${values.length} values for ${named.length} parameters`);
  const slot = (name: string): [nb.nn.Module, string] => {
    const i = name.lastIndexOf('.');
    return i < 0 ? [m, name] : [m.getSubmodule(name.slice(0, i)), name.slice(i + 1)];
  };
  const set = (name: string, t: nb.Tensor) => {
    const [owner, leaf] = slot(name);
    (owner as unknown as Record<string, nb.Tensor>)[leaf] = nb.nn.parameter(t, t.requiresGrad);
  };
  named.forEach(([n], i) => set(n, values[i]!));
  try {
    return fn();
  } finally {
    named.forEach(([n, p]) => set(n, p));
  }
}
