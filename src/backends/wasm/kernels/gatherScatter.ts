/**
 * gather / scatter-add along one axis in WebAssembly, when the index has the input's extent on every other
 * axis: gather32 (4-byte elements) and scatter_add_f32. Both return −1, or the position of the first index
 * out of range (the host then lets the reference kernel raise its error).
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, get, i32, ifElse, inc, set } from '../asm.js';
import type { KernelSpec } from './spec.js';

const gsLocals: [string, 'i32'][] = [['oo', 'i32'], ['r', 'i32'], ['i', 'i32'], ['iv', 'i32'], ['pos', 'i32'], ['xb', 'i32'], ['ib', 'i32']];
/** iv = idx[pos] wrapped (negative counts from the end); returns pos from the function when out of range */
const loadIndex = (): Code => [
  get('idx'), ['i32.load', 0], set('iv'),
  ...ifElse([get('iv'), i32(0), ['i32.lt_s']], [get('iv'), get('R'), ['i32.add'], set('iv')]),
  ...ifElse([get('iv'), get('R'), ['i32.ge_u']], [get('pos'), ['return']]),
];

/** gather32(x, idx, o, outer, R, RI, inner) → −1, or the position of the first out-of-range index */
const gatherFunc: FuncDef = {
  name: 'gather32',
  params: [['x', 'i32'], ['idx', 'i32'], ['o', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['RI', 'i32'], ['inner', 'i32']],
  result: 'i32',
  locals: gsLocals,
  body: [
    get('inner'), i32(2), ['i32.shl'], set('ib'),
    get('R'), get('ib'), ['i32.mul'], set('xb'),
    ...forRange('oo', [i32(0)], [get('outer')], 1, [
      ...forRange('r', [i32(0)], [get('RI')], 1, [
        ...forRange('i', [i32(0)], [get('ib')], 4, [
          ...loadIndex(),
          get('o'), get('x'), get('iv'), get('ib'), ['i32.mul'], ['i32.add'], get('i'), ['i32.add'], ['i32.load', 0], ['i32.store', 0],
          ...inc('o', 4), ...inc('idx', 4), ...inc('pos', 1),
        ]),
      ]),
      ...inc('x', 'xb'),
    ]),
    i32(-1),
  ],
};

/** scatter_add_f32(o, idx, src, outer, R, RI, inner) → −1, or the position of the first out-of-range index */
const scatterFunc: FuncDef = {
  name: 'scatter_add_f32',
  params: [['o', 'i32'], ['idx', 'i32'], ['src', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['RI', 'i32'], ['inner', 'i32']],
  result: 'i32',
  locals: [...gsLocals, ['t', 'i32']],
  body: [
    get('inner'), i32(2), ['i32.shl'], set('ib'),
    get('R'), get('ib'), ['i32.mul'], set('xb'),
    ...forRange('oo', [i32(0)], [get('outer')], 1, [
      ...forRange('r', [i32(0)], [get('RI')], 1, [
        ...forRange('i', [i32(0)], [get('ib')], 4, [
          ...loadIndex(),
          get('o'), get('iv'), get('ib'), ['i32.mul'], ['i32.add'], get('i'), ['i32.add'], set('t'),
          get('t'), get('t'), ['f32.load', 0], get('src'), ['f32.load', 0], ['f32.add'], ['f32.store', 0],
          ...inc('src', 4), ...inc('idx', 4), ...inc('pos', 1),
        ]),
      ]),
      ...inc('o', 'xb'),
    ]),
    i32(-1),
  ],
};


export const gatherScatterSpec: KernelSpec = {
  name: 'gatherScatter',
  emit: () => [gatherFunc, scatterFunc],
  warmCalls(ex, { a, b, c, bytes }) {
    ex.zero_bytes!(c, bytes);
    ex.gather32!(a, c, b, 16, 4, 1, 196);
    ex.scatter_add_f32!(b, c, a, 16, 4, 1, 196);
  },
};
