/**
 * Convolution, unfold/fold and pooling (src/ops/nn/conv.ts) at their edges: ceilMode windows that overhang in
 * one dim only, countIncludePad with padding in one dim, divisorOverride, and every refusal with its message
 * (shapes, groups, bias, dtypes, the window arguments, kernels that do not fit). Pooling values and gradients
 * (of Σ y·w, w = 1, 2, …) are PyTorch 1.13's F.max_pool2d/F.avg_pool2d in float64; written against the mutants
 * that survived the mutation run of nn/conv.js (tools/mutation/review.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { col2im, im2col } from '../src/ops/nn/conv.js';

const F = nb.nn.functional;
const z = (...s: number[]) => nb.zeros(s, { dtype: 'float64' });
const zi = (...s: number[]) => nb.zeros(s, { dtype: 'int32' });
const err = (message: string, name = 'Error') => ({ name, message });
const close = (a: number[], b: number[], what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  a.forEach((v, k) => assert.ok(Math.abs(v - b[k]!) <= 1e-12 * Math.max(1, Math.abs(b[k]!)), `${what}[${k}]: ${v} vs ${b[k]}`));
};

// x45 = 3·sin(arange(20)) as [1, 1, 4, 5], x54 = 3·cos(arange(20)) as [1, 1, 5, 4], x55 = 3·sin(0.7·arange(25)) as
// [1, 1, 5, 5], x58 = 3·cos(0.3·arange(40)) as [1, 1, 5, 8]
const X45 = [0.0, 2.5244129544236893, 2.727892280477045, 0.4233600241796016, -2.2704074859237844, -2.8767728239894153, -0.8382464945967776, 1.9709597961563672, 2.9680747398701453, 1.2363554557252698, -1.6320633326681093, -2.9999706196521103, -1.609718754001305, 1.2605011104799226, 2.971822067084611, 1.9508635204713505, -0.8637099499951959, -2.8841924756386703, -2.252961740315028, 0.449631628988857];
const X55 = [0.0, 1.932653061713073, 2.9563491899653807, 2.589628099946622, 1.0049644504677153, -1.0523496830688595, -2.6147273172407632, -2.947357837872998, -1.8937999136169648, 0.05044170145304914, 1.9709597961563672, 2.9645047016310007, 2.5637967242648445, 0.9572950870480563, -1.0994373877557804, -2.6390872799150102, -2.937533187453952, -1.8544113367111041, 0.10086914166341009, 2.008709286589803, 2.971822067084611, 2.537240493428803, 0.9093550702371119, -1.1462142515520175, -2.662701100744509];
const X58 = [3.0, 2.866009467376818, 2.476006844729035, 1.8648299048119936, 1.0870732634300209, 0.2122116050031087, -0.6816062840792607, -1.5145383137995727, -2.2121811466237364, -2.712216426051183, -2.9699774898013365, -2.9624393097265944, -2.6902752490024415, -2.177796912600421, -1.4707824640220983, -0.6323873982923391, 0.2624969503183392, 1.1339332281389407, 1.9040786278279018, 2.5041383545174796, 2.880510859951098, 2.9995759091502454, 2.850697775875589, 2.447175300376072, 1.8250539435967656, 1.0399059535050774, 0.16186626168794926, -0.7306324612073734, -1.5578659623500566, -2.245939936792196, -2.7333907856540307, -2.97667597635781, -2.9540635673823807, -2.667573457876083, -2.1427969560816007, -1.4266107839879776, -0.5829897193660096, 0.3127080805970906, 1.1804725990436726, 1.9427890159616277];
const X54 = [3.0, 1.6209069176044193, -1.2484405096414273, -2.9699774898013365, -1.960930862590836, 0.8509865563896788, 2.880510859951098, 2.2617067630299137, -0.4365001014258406, -2.7333907856540307, -2.517214587229357, 0.013277093964152355, 2.5315618761974763, 2.7223403443505885, 0.41021165462350084, -2.279063738576464, -2.872978440970154, -0.8254900141547907, 1.9809501247322405, 2.9661138545600076];
/** PyTorch 1.13: output shape, values, and the input gradient of Σ y·(1, 2, …) */
const REF: Record<string, { shape: number[]; y: number[]; g: number[] }> = {"max45ceil": {"shape": [1, 1, 2, 3], "y": [2.5244129544236893, 2.9680747398701453, 1.2363554557252698, 1.9508635204713505, 1.2605011104799226, 2.971822067084611], "g": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 0.0, 0.0, 5.0, 6.0, 4.0, 0.0, 0.0, 0.0, 0.0]}, "max54ceil": {"shape": [1, 1, 3, 2], "y": [3.0, 2.880510859951098, 2.7223403443505885, 0.41021165462350084, -0.8254900141547907, 2.9661138545600076], "g": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0, 0.0, 0.0, 5.0, 0.0, 6.0]}, "avg45ceil": {"shape": [1, 1, 2, 3], "y": [-0.2976515910406259, 2.02257171017079, -0.5170260150992573, -0.8862200954610163, -1.3715929648687701, 1.7107268480367341], "g": [0.25, 0.25, 0.5, 0.5, 1.5, 0.25, 0.25, 0.5, 0.5, 1.5, 1.0, 1.0, 1.25, 1.25, 3.0, 1.0, 1.0, 1.25, 1.25, 3.0]}, "avg54ceil": {"shape": [1, 1, 3, 2], "y": [0.8777406528508154, 0.230949905884562, 0.5210028333670483, -1.0931973943045419, -1.8492342275624725, 2.473531989646124], "g": [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0, 1.0, 0.75, 0.75, 1.0, 1.0, 2.5, 2.5, 3.0, 3.0]}, "avg45pad10": {"shape": [1, 1, 2, 2], "y": [0.5847076187451514, 1.176039135080774, -1.0869834593237628, 0.4567190920389076], "g": [0.16666666666666666, 0.16666666666666666, 0.5, 0.3333333333333333, 0.3333333333333333, 0.5, 0.5, 1.2777777777777777, 0.7777777777777777, 0.7777777777777777, 0.3333333333333333, 0.3333333333333333, 0.7777777777777777, 0.4444444444444444, 0.4444444444444444, 0.3333333333333333, 0.3333333333333333, 0.7777777777777777, 0.4444444444444444, 0.4444444444444444]}, "avg45pad01": {"shape": [1, 1, 1, 3], "y": [-0.9704400527471205, 0.7141405597040642, 1.0982843185692943], "g": [0.16666666666666666, 0.38888888888888884, 0.2222222222222222, 0.7222222222222222, 0.5, 0.16666666666666666, 0.38888888888888884, 0.2222222222222222, 0.7222222222222222, 0.5, 0.16666666666666666, 0.38888888888888884, 0.2222222222222222, 0.7222222222222222, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]}, "avg45ceilnoinc": {"shape": [1, 1, 3, 3], "y": [0.0, 2.626152617450367, -0.9235237308720914, -2.2544180783287624, -0.8692440180234564, 2.109188343289987, 1.9508635204713505, -1.873951212816933, -0.9016650556630854], "g": [1.0, 1.0, 1.0, 1.5, 1.5, 2.0, 1.25, 1.25, 1.5, 1.5, 2.0, 1.25, 1.25, 1.5, 1.5, 7.0, 4.0, 4.0, 4.5, 4.5]}, "max55ceil": {"shape": [1, 1, 3, 3], "y": [1.932653061713073, 2.9563491899653807, 1.0049644504677153, 2.9645047016310007, 2.5637967242648445, 2.008709286589803, 2.971822067084611, 0.9093550702371119, -2.662701100744509], "g": [0.0, 1.0, 2.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 7.0, 0.0, 8.0, 0.0, 9.0]}, "avg55ceil": {"shape": [1, 1, 3, 3], "y": [-0.4336059846491374, 0.17620488460550998, 0.5277030759603822, -0.1602889923953985, 0.4418874040663016, 0.45463594941701135, 2.754531280256707, -0.11842959065745279, -2.662701100744509], "g": [0.25, 0.25, 0.5, 0.5, 1.5, 0.25, 0.25, 0.5, 0.5, 1.5, 1.0, 1.0, 1.25, 1.25, 3.0, 1.0, 1.0, 1.25, 1.25, 3.0, 3.5, 3.5, 4.0, 4.0, 9.0]}, "max58dil": {"shape": [1, 1, 2, 4], "y": [1.0399059535050774, 1.0399059535050774, -0.6323873982923391, -0.6323873982923391, 1.0399059535050774, 1.0399059535050774, -0.6323873982923391, -0.6323873982923391], "g": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 22.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 14.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]}};

/** run a pooling call on a float64 copy of x that requires grad; compare shape, values and gradient with REF */
function check(name: string, data: number[], shape: number[], f: (x: nb.Tensor) => nb.Tensor): void {
  const x = nb.tensor(data, { dtype: 'float64' }).reshape(shape).requiresGrad_(true);
  const y = f(x);
  const want = REF[name]!;
  assert.deepEqual(y.shape, want.shape, `${name}: shape`);
  close([...y.data()].map(Number), want.y, `${name}: y`);
  y.mul(nb.arange(y.numel(), { dtype: 'float64' }).add(1).reshape(y.shape)).sum().backward();
  close([...x.grad!.data()].map(Number), want.g, `${name}: grad`);
}

describe('pooling against PyTorch', () => {
  test('ceilMode with the last window overhanging in one dim only (width, then height)', () => {
    check('max45ceil', X45, [1, 1, 4, 5], (x) => F.maxPool2d(x, 2, 2, 0, 1, true));
    check('max54ceil', X54, [1, 1, 5, 4], (x) => F.maxPool2d(x, 2, 2, 0, 1, true));
    check('avg45ceil', X45, [1, 1, 4, 5], (x) => F.avgPool2d(x, 2, 2, 0, true));
    check('avg54ceil', X54, [1, 1, 5, 4], (x) => F.avgPool2d(x, 2, 2, 0, true));
    // overhanging in both dims (the width extension spans the extended height), and a dilated 3×3 kernel whose last window overhangs the width
    check('max55ceil', X55, [1, 1, 5, 5], (x) => F.maxPool2d(x, 2, 2, 0, 1, true));
    check('avg55ceil', X55, [1, 1, 5, 5], (x) => F.avgPool2d(x, 2, 2, 0, true));
    check('max58dil', X58, [1, 1, 5, 8], (x) => F.maxPool2d(x, 3, 2, 1, 2, true));
  });

  test('countIncludePad false with padding in one dim only, and with ceilMode', () => {
    check('avg45pad10', X45, [1, 1, 4, 5], (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: [1, 0], countIncludePad: false }));
    check('avg45pad01', X45, [1, 1, 4, 5], (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: [0, 1], countIncludePad: false }));
    check('avg45ceilnoinc', X45, [1, 1, 4, 5], (x) => F.avgPool2d(x, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }));
  });

  test('divisorOverride must be positive (PyTorch: "divisor must be not zero")', () => {
    assert.throws(() => F.avgPool2d(z(1, 1, 4, 5), { kernelSize: 2, divisorOverride: 0 }), err('avgPool2d: divisorOverride must be positive, got 0'));
    assert.throws(() => F.avgPool2d(z(1, 1, 4, 5), { kernelSize: 2, divisorOverride: -1 }), err('avgPool2d: divisorOverride must be positive, got -1'));
  });

  test('refusals: padding over half the kernel in either dim, a kernel larger than the input in either dim, returnIndices, integer input, window arguments', () => {
    // PyTorch: "pad should be at most half of kernel size, but got pad=2 and kernel_size=3"
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 5), { kernelSize: 3, padding: [0, 2] }), err('maxPool2d: padding [0,2] should be at most half of kernel size [3,3] (input [1,1,4,5])'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 5), { kernelSize: 3, padding: [2, 0] }), err('maxPool2d: padding [2,0] should be at most half of kernel size [3,3] (input [1,1,4,5])'));
    // PyTorch: "Calculated output size: (1x0x2). Output size is too small"
    assert.throws(() => F.maxPool2d(z(1, 1, 1, 5), 2), err('maxPool2d: kernel size [2,2] (dilated) is larger than the padded input size [1,5] of input [1,1,1,5] (kernelSize [2,2], stride [2,2], padding [0,0], dilation [1,1])'));
    assert.throws(() => F.avgPool2d(z(1, 1, 5, 1), 2), err('avgPool2d: kernel size [2,2] (dilated) is larger than the padded input size [5,1] of input [1,1,5,1] (kernelSize [2,2], stride [2,2], padding [0,0], dilation [1,1])'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), { kernelSize: 2, returnIndices: true }), err('maxPool2d: returnIndices=true is not supported (only false)'));
    assert.throws(() => F.maxPool2d(zi(1, 1, 4, 4), 2), err('maxPool2d: input [int32 [1,1,4,4]] must be a floating point tensor (float32 or float64), got int32', 'TypeError'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), null as never), err('maxPool2d: kernelSize is required (a positive integer or a pair of them)', 'TypeError'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), undefined as never), err('maxPool2d: kernelSize is required (a positive integer or a pair of them)', 'TypeError'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), 'a' as never), err("maxPool2d: argument 'kernelSize' must be a positive integer or a pair of them, got the string 'a'", 'TypeError'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), 2, 'a' as never), err("maxPool2d: argument 'stride' must be a positive integer or a pair of them, or null (the kernel size), got the string 'a'", 'TypeError'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), 2, 0), err('maxPool2d: stride must be a positive integer or a pair of them, got 0'));
    assert.throws(() => F.maxPool2d(z(1, 1, 4, 4), 2, 1, 'x' as never), err("maxPool2d: argument 'padding' must be a non-negative integer or a pair of them, got the string 'x'", 'TypeError'));
    assert.deepEqual(F.maxPool2d(z(1, 1, 4, 4), 2, null).shape, [1, 1, 2, 2]); // stride null: the kernel size
  });
});

describe('conv2d and conv1d refusals', () => {
  test('conv2d: weight rank, groups, channel counts, bias, dtypes, input rank; unbatched input', () => {
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3)), err('conv2d: weight [6,2,3] must be 4-D [Cout, Cin/groups, kh, kw]'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), null, { groups: 0 }), err('conv2d: groups must be a positive integer, got 0'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), null, { groups: 1.5 }), err("conv2d: argument 'groups' must be an integer, got number 1.5", 'TypeError'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), null, { groups: 4 }), err('conv2d: output channels 6 of weight [6,2,3,3] must be divisible by groups 4'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), null, { groups: 3 }), err('conv2d: input channels 4 of input [1,4,5,5] must be divisible by groups 3'));
    // PyTorch: "Given groups=2, weight of size [6, 3, 3, 3], expected input[1, 4, 5, 5] to have 6 channels, but got 4 channels instead"
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 3, 3, 3), null, { groups: 2 }), err('conv2d: input [1,4,5,5] has 4 channels, but weight [6,3,3,3] with groups=2 expects 6 (weight is [Cout, Cin/groups, ...])'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), z(5), { groups: 2 }), err('conv2d: bias [5] does not match weight [6,2,3,3]: expected [6]'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), z(6, 1), { groups: 2 }), err('conv2d: bias [6,1] does not match weight [6,2,3,3]: expected [6]'));
    assert.throws(() => F.conv2d(zi(1, 4, 5, 5), z(6, 4, 3, 3)), err('conv2d: input [int32 [1,4,5,5]] must be a floating point tensor (float32 or float64), got int32', 'TypeError'));
    assert.throws(() => F.conv2d(z(1, 4, 5, 5), zi(6, 4, 3, 3)), err('conv2d: weight [int32 [6,4,3,3]] must be a floating point tensor (float32 or float64), got int32', 'TypeError'));
    assert.throws(() => F.conv2d(z(5, 5), z(6, 4, 3, 3)), err('conv2d: input [5,5] must be 4-D [N, C, H, W] (or 3-D [C, H, W] unbatched), got 2-D'));
    assert.deepEqual(F.conv2d(z(4, 5, 5), z(6, 4, 3, 3)).shape, [6, 3, 3]);
    // groups: each output channel sees only its group's input channels
    const x = nb.tensor([1, 10], { dtype: 'float64' }).reshape(1, 2, 1, 1);
    const w = nb.tensor([1, 2, 3, 4], { dtype: 'float64' }).reshape(4, 1, 1, 1);
    assert.deepEqual([...F.conv2d(x, w, null, { groups: 2 }).data()], [1, 2, 30, 40]);
  });

  test('conv1d: input and weight ranks, integer (or one-element) stride/padding/dilation', () => {
    assert.throws(() => F.conv1d(z(1, 2, 5, 5), z(3, 2, 3)), err('conv1d: input [1,2,5,5] must be 3-D [N, C, L] (or 2-D [C, L] unbatched), got 4-D'));
    assert.throws(() => F.conv1d(z(1, 2, 5), z(3, 2, 3, 3)), err('conv1d: weight [3,2,3,3] must be 3-D [Cout, Cin/groups, k]'));
    assert.throws(() => F.conv1d(z(1, 2, 5), z(3, 2, 3), null, { stride: [1, 2] }), err('conv1d: stride must be an integer (or a 1-element array), got [1,2]'));
    assert.throws(() => F.conv1d(z(1, 2, 5), z(3, 2, 3), null, { stride: 1.5 }), err('conv1d: stride must be an integer (or a 1-element array), got 1.5'));
    assert.throws(() => F.conv1d(z(1, 2, 5), z(3, 2, 3), null, { padding: 'same' as never }), err('conv1d: padding must be an integer (or a 1-element array), got "same"'));
    assert.deepEqual(F.conv1d(z(1, 2, 5), z(3, 2, 3), null, { stride: [2] }).shape, [1, 3, 2]);
    assert.deepEqual(F.conv1d(z(1, 2, 5), z(3, 2, 3), null, { dilation: [2], padding: [1] }).shape, [1, 3, 3]);
    assert.deepEqual(F.conv1d(z(2, 5), z(3, 2, 3)).shape, [3, 3]);
  });
});

describe('unfold, fold and their kernels', () => {
  test('unfold: a kernel (dilated too) larger than the input, a bad window argument', () => {
    assert.throws(() => F.unfold(z(1, 1, 3, 3), 4), err('unfold: kernel size [4,4] (dilated) is larger than the padded input size [3,3] of input [1,1,3,3] (kernelSize [4,4], stride [1,1], padding [0,0], dilation [1,1])'));
    assert.throws(() => F.unfold(z(1, 1, 3, 3), { kernelSize: 2, dilation: 3 }), err('unfold: kernel size [4,4] (dilated) is larger than the padded input size [3,3] of input [1,1,3,3] (kernelSize [2,2], stride [1,1], padding [0,0], dilation [3,3])'));
    assert.deepEqual(F.unfold(z(1, 1, 3, 3), { kernelSize: 2, dilation: 3, padding: 1 }).shape, [1, 4, 4]);
    assert.throws(() => F.unfold(z(1, 1, 3, 3), { kernelSize: 6, padding: 1 }), err('unfold: kernel size [6,6] (dilated) is larger than the padded input size [5,5] of input [1,1,3,3] (kernelSize [6,6], stride [1,1], padding [1,1], dilation [1,1])'));
  });

  test('fold: unbatched 2-D input, rank and divisibility refusals, the block count', () => {
    assert.deepEqual(F.fold(z(2, 8, 4), [3, 3], 2).shape, [2, 2, 3, 3]);
    assert.deepEqual(F.fold(z(8, 4), [3, 3], 2).shape, [2, 3, 3]);
    assert.deepEqual(F.fold(z(1, 8, 4), [3, 3], 2).shape, [1, 2, 3, 3]); // a batch of one stays batched
    // PyTorch: "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=7 and kernel_size=(2, 2)"
    assert.throws(() => F.fold(z(2, 7, 4), [3, 3], 2), err('fold: input [2,7,4]: dimension 1 (7) must be divisible by the kernel size product 4 (kernelSize [2,2])'));
    assert.throws(() => F.fold(z(1, 2, 8, 4), [3, 3], 2), err('fold: input [1,2,8,4] must be 3-D [N, C·kh·kw, L] (or 2-D unbatched)'));
    assert.throws(() => F.fold(z(2, 8, 5), [3, 3], 2), err('fold: input [2,8,5] has 5 blocks, but outputSize [3,3] with kernelSize [2,2], stride [1,1], padding [0,0], dilation [1,1] gives 2×2 = 4'));
    // fold sums overlaps: ones through unfold then fold count each pixel's windows
    const counts = F.fold(F.unfold(nb.ones([1, 1, 3, 3], { dtype: 'float64' }), 2), [3, 3], 2);
    assert.deepEqual([...counts.data()], [1, 2, 1, 2, 4, 2, 1, 2, 1]);
  });

  test('im2col/col2im (the kernel records): window and shape arguments, the column shape', () => {
    const win = { kernel: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1], padValue: 0 };
    assert.throws(() => im2col(z(1, 1, 3, 3), 5 as never), err("im2col: argument 'window' must be window parameters {kernel, stride, padding, dilation, padValue}, got number 5", 'TypeError'));
    assert.throws(() => im2col(z(1, 1, 3, 3), null as never), err("im2col: argument 'window' must be window parameters {kernel, stride, padding, dilation, padValue}, got null", 'TypeError'));
    assert.throws(() => im2col(z(1, 1, 3, 3), { stride: [1, 1] } as never), err("im2col: argument 'window' must be window parameters {kernel, stride, padding, dilation, padValue}, got an object", 'TypeError'));
    assert.throws(() => col2im(z(1, 4, 4), [1, 1, 3] as never, win as never), err("col2im: argument 'outputShape' must be a shape [N, C, H, W], got an array [1, 1, 3]", 'TypeError'));
    assert.throws(() => col2im(z(1, 4, 4), [1, 1, 3, -3] as never, win as never), err("col2im: argument 'outputShape' must be a shape [N, C, H, W], got an array [1, 1, 3, -3]", 'TypeError'));
    assert.throws(() => col2im(z(1, 4, 4), 'x' as never, win as never), err("col2im: argument 'outputShape' must be a shape [N, C, H, W], got the string 'x'", 'TypeError'));
    assert.throws(() => col2im(z(1, 4, 4), [1, 1, 3, 1.5] as never, win as never), err("col2im: argument 'outputShape' must be a shape [N, C, H, W], got an array [1, 1, 3, 1.5]", 'TypeError'));
    assert.throws(() => col2im(z(1, 4, 5), [1, 1, 3, 3] as never, win as never), err('col2im: input [1,4,5] does not match output [1,1,3,3] with kernelSize [2,2], stride [1,1], padding [0,0], dilation [1,1]: expected [1,4,4]'));
    assert.throws(() => col2im(z(4, 4), [1, 1, 3, 3] as never, win as never), err('col2im: input [4,4] does not match output [1,1,3,3] with kernelSize [2,2], stride [1,1], padding [0,0], dilation [1,1]: expected [1,4,4]'));
    assert.deepEqual(col2im(z(1, 4, 4), [1, 1, 3, 3] as never, win as never).shape, [1, 1, 3, 3]);
    assert.deepEqual(col2im(z(0, 4, 4), [0, 1, 3, 3] as never, win as never).shape, [0, 1, 3, 3]); // an empty batch
  });
});
