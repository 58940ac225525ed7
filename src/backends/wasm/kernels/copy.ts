/**
 * Memory kernels: zero_bytes (memory.fill), the float32 fill / copy / accumulate loops the window and pooling
 * kernels call (not exported from the module), and copy4_32, a strided 4-D view of 4-byte elements into
 * contiguous memory.
 */
import type { FuncDef } from '../emitter.js';
import { forRange, get, i32, ifElse, inc, set } from '../asm.js';
import type { KernelSpec } from './spec.js';

const V = 'v128';

/** zero_bytes(p, n): n bytes at p = 0 — memory.fill, a native memset (a typed-array fill of shared memory is not) */
function zeroBytesFunc(): FuncDef {
  return { name: 'zero_bytes', params: [['p', 'i32'], ['n', 'i32']], locals: [], body: [get('p'), i32(0), get('n'), ['memory.fill']] };
}


// ---- small internal helpers (not exported from the module) ------------------------------------------

/** fill_f32(p, n, v): n float32 = v at byte address p */
const fillFunc: FuncDef = {
  name: 'fill_f32', export: false,
  params: [['p', 'i32'], ['n', 'i32'], ['v', 'f32']],
  locals: [['e4', 'i32'], ['e', 'i32'], ['vv', V]],
  body: [
    get('v'), ['f32x4.splat'], set('vv'),
    get('p'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('p'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('p', [get('p')], [get('e4')], 16, [get('p'), get('vv'), ['v128.store', 0]]),
    ...forRange('p', [get('p')], [get('e')], 4, [get('p'), get('v'), ['f32.store', 0]]),
  ],
};

/** copy_f32(d, s, n): d[i] = s[i] */
const copyFunc: FuncDef = {
  name: 'copy_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32']],
  locals: [['e4', 'i32'], ['e', 'i32']],
  body: [
    get('d'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('d'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('d', [get('d')], [get('e4')], 16, [get('d'), get('s'), ['v128.load', 0], ['v128.store', 0], ...inc('s', 16)]),
    ...forRange('d', [get('d')], [get('e')], 4, [get('d'), get('s'), ['f32.load', 0], ['f32.store', 0], ...inc('s', 4)]),
  ],
};

/** copy_strided_f32(d, s, n, step): d[i] = *(s + i·step) (step in bytes) */
const copyStridedFunc: FuncDef = {
  name: 'copy_strided_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32'], ['step', 'i32']],
  locals: [['e', 'i32']],
  body: [
    get('d'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    ...forRange('d', [get('d')], [get('e')], 4, [get('d'), get('s'), ['f32.load', 0], ['f32.store', 0], ...inc('s', 'step')]),
  ],
};

/** acc_f32(d, s, n): d[i] += s[i] */
const accFunc: FuncDef = {
  name: 'acc_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32']],
  locals: [['e4', 'i32'], ['e', 'i32']],
  body: [
    get('d'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('d'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('d', [get('d')], [get('e4')], 16, [
      get('d'), get('d'), ['v128.load', 0], get('s'), ['v128.load', 0], ['f32x4.add'], ['v128.store', 0], ...inc('s', 16),
    ]),
    ...forRange('d', [get('d')], [get('e')], 4, [
      get('d'), get('d'), ['f32.load', 0], get('s'), ['f32.load', 0], ['f32.add'], ['f32.store', 0], ...inc('s', 4),
    ]),
  ],
};

/** acc_strided_f32(d, s, n, step): *(d + i·step) += s[i] (step in bytes) */
const accStridedFunc: FuncDef = {
  name: 'acc_strided_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32'], ['step', 'i32']],
  locals: [['e', 'i32']],
  body: [
    get('s'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    ...forRange('s', [get('s')], [get('e')], 4, [
      get('d'), get('d'), ['f32.load', 0], get('s'), ['f32.load', 0], ['f32.add'], ['f32.store', 0], ...inc('d', 'step'),
    ]),
  ],
};


/** copy4_32(src, dst, n0, n1, n2, n3, s0, s1, s2, s3): dst (contiguous) = the 4-byte elements of a strided 4-D view */
const copy4Func: FuncDef = {
  name: 'copy4_32',
  params: [['src', 'i32'], ['dst', 'i32'], ['n0', 'i32'], ['n1', 'i32'], ['n2', 'i32'], ['n3', 'i32'],
    ['s0', 'i32'], ['s1', 'i32'], ['s2', 'i32'], ['s3', 'i32']],
  locals: [['i0', 'i32'], ['i1', 'i32'], ['i2', 'i32'], ['p0', 'i32'], ['p1', 'i32'], ['p2', 'i32']],
  body: [
    get('s0'), i32(2), ['i32.shl'], set('s0'), get('s1'), i32(2), ['i32.shl'], set('s1'),
    get('s2'), i32(2), ['i32.shl'], set('s2'), get('s3'), i32(2), ['i32.shl'], set('s3'),
    get('src'), set('p0'),
    ...forRange('i0', [i32(0)], [get('n0')], 1, [
      get('p0'), set('p1'),
      ...forRange('i1', [i32(0)], [get('n1')], 1, [
        get('p1'), set('p2'),
        ...forRange('i2', [i32(0)], [get('n2')], 1, [
          ...ifElse([get('s3'), i32(4), ['i32.eq']], [get('dst'), get('p2'), get('n3'), ['call', 'copy_f32']], [
            get('dst'), get('p2'), get('n3'), get('s3'), ['call', 'copy_strided_f32'],
          ]),
          get('dst'), get('n3'), i32(2), ['i32.shl'], ['i32.add'], set('dst'),
          ...inc('p2', 's2'),
        ]),
        ...inc('p1', 's1'),
      ]),
      ...inc('p0', 's0'),
    ]),
  ],
};


/**
 * put4_32(src, dst, n0, n1, n2, n3, s0, s1, s2, s3): the 4-byte elements of contiguous src into a strided 4-D view
 * at dst (strides s in elements): the transpose of copy4_32, for assignments into slices.
 */
const put4Func: FuncDef = {
  name: 'put4_32',
  params: [['src', 'i32'], ['dst', 'i32'], ['n0', 'i32'], ['n1', 'i32'], ['n2', 'i32'], ['n3', 'i32'],
    ['s0', 'i32'], ['s1', 'i32'], ['s2', 'i32'], ['s3', 'i32']],
  locals: [['i0', 'i32'], ['i1', 'i32'], ['i2', 'i32'], ['i3', 'i32'], ['p0', 'i32'], ['p1', 'i32'], ['p2', 'i32'], ['p3', 'i32']],
  body: [
    get('s0'), i32(2), ['i32.shl'], set('s0'), get('s1'), i32(2), ['i32.shl'], set('s1'),
    get('s2'), i32(2), ['i32.shl'], set('s2'), get('s3'), i32(2), ['i32.shl'], set('s3'),
    get('dst'), set('p0'),
    ...forRange('i0', [i32(0)], [get('n0')], 1, [
      get('p0'), set('p1'),
      ...forRange('i1', [i32(0)], [get('n1')], 1, [
        get('p1'), set('p2'),
        ...forRange('i2', [i32(0)], [get('n2')], 1, [
          ...ifElse([get('s3'), i32(4), ['i32.eq']], [get('p2'), get('src'), get('n3'), ['call', 'copy_f32']], [
            get('p2'), set('p3'),
            ...forRange('i3', [i32(0)], [get('n3')], 1, [
              get('p3'), get('src'), get('i3'), i32(2), ['i32.shl'], ['i32.add'], ['i32.load', 0], ['i32.store', 0],
              ...inc('p3', 's3'),
            ]),
          ]),
          get('src'), get('n3'), i32(2), ['i32.shl'], ['i32.add'], set('src'),
          ...inc('p2', 's2'),
        ]),
        ...inc('p1', 's1'),
      ]),
      ...inc('p0', 's0'),
    ]),
  ],
};

export const zeroBytesSpec: KernelSpec = { name: 'zeroBytes', emit: () => [zeroBytesFunc()] };

/** the helpers unfold / fold / mid_<max|min> call */
export const copyLoopsSpec: KernelSpec = { name: 'copyLoops', emit: () => [fillFunc, copyFunc, copyStridedFunc, accFunc, accStridedFunc] };

export const copy4Spec: KernelSpec = { name: 'copy4', emit: () => [copy4Func, put4Func] };
